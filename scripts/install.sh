#!/usr/bin/env bash
# Installs libbatch_dot under a prefix, the way a C library is installed:
#
#   scripts/install.sh --prefix DIR     (default prefix: /usr/local)
#
#   DIR/lib/libbatch_dot.so.X.Y.Z           the shared library (SONAME libbatch_dot.so.<ABI>)
#   DIR/lib/libbatch_dot.so.<ABI>           -> libbatch_dot.so.X.Y.Z  (what programs load)
#   DIR/lib/libbatch_dot.so                 -> libbatch_dot.so.<ABI>  (what -lbatch_dot finds)
#   DIR/lib/libbatch_dot.a                  the static library
#   DIR/include/batch_dot.h                 the C header
#   DIR/include/batch_dot_dlpack.h          batch_dot_dlpack (DLPack tensors; includes the
#                                           caller's <dlpack/dlpack.h>, which is not installed)
#   DIR/include/batch_dot.hpp               the header-only C++17 wrapper (bindings/cpp)
#   DIR/lib/pkgconfig/batch_dot.pc          pkg-config file (relocatable: uses ${pcfiledir})
#   DIR/lib/cmake/batch_dot/batch_dotConfig.cmake, batch_dotConfigVersion.cmake
#                                           relocatable CMake package: targets
#                                           batch_dot::batch_dot (shared) and
#                                           batch_dot::batch_dot_static (static)
#
# Builds the release library first (`cargo build --release -p batch_dot`; a
# no-op when it is up to date). X.Y.Z is the crate version from Cargo.toml,
# <ABI> is BATCH_DOT_ABI_VERSION from include/batch_dot.h. The native
# libraries a program must link next to libbatch_dot.a come from rustc
# (`--print native-static-libs`), not from a list kept here.
#
# Options: --prefix DIR, --libdir NAME (default lib), --no-build (install what
# is already in the target directory), -h/--help. DESTDIR is honoured as usual
# (files go to $DESTDIR$prefix; the installed files don't record the prefix
# anyway: both the .pc and the CMake package locate themselves).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix=/usr/local
libdir_name=lib
build=1

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
log() { printf '==> %s\n' "$*" >&2; }

while [ $# -gt 0 ]; do
  case $1 in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; prefix=$2; shift 2 ;;
    --prefix=*) prefix=${1#--prefix=}; shift ;;
    --libdir) [ $# -ge 2 ] || die "--libdir needs a name"; libdir_name=$2; shift 2 ;;
    --libdir=*) libdir_name=${1#--libdir=}; shift ;;
    --no-build) build=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
done
[ -n "$prefix" ] || die "empty --prefix"
case $libdir_name in
  /*|*..*|'') die "--libdir must be a relative directory name like lib or lib64" ;;
esac

case $(uname -s) in
  Linux|*BSD|DragonFly) ;;
  *) die "only ELF platforms (Linux, the BSDs) are supported: libbatch_dot.so naming and SONAME" ;;
esac

# --- versions --------------------------------------------------------------
version=$(sed -n '/^\[package\]/,/^\[/{s/^version *= *"\([^"]*\)".*/\1/p}' "$ROOT/Cargo.toml" | head -n1)
[[ $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || die "cannot read a X.Y.Z version from Cargo.toml (got '$version')"
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}
abi=$(sed -n 's/^#define BATCH_DOT_ABI_VERSION \([0-9][0-9]*\)$/\1/p' "$ROOT/include/batch_dot.h")
[ -n "$abi" ] || die "cannot read BATCH_DOT_ABI_VERSION from include/batch_dot.h"
for part in MAJOR:$major MINOR:$minor PATCH:$patch; do
  got=$(sed -n "s/^#define BATCH_DOT_VERSION_${part%%:*} \([0-9][0-9]*\)$/\1/p" "$ROOT/include/batch_dot.h")
  [ "$got" = "${part#*:}" ] || die "include/batch_dot.h says BATCH_DOT_VERSION_${part%%:*} $got, Cargo.toml says $version: regenerate the header"
done

# --- build -----------------------------------------------------------------
cd "$ROOT"
# The target directory cargo really uses (CARGO_TARGET_DIR, .cargo/config, ...).
target_dir=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
[ -n "$target_dir" ] || target_dir=${CARGO_TARGET_DIR:-$ROOT/target}
rel=$target_dir/release

if [ "$build" = 1 ]; then
  log "cargo build --release -p batch_dot"
  cargo build --release -p batch_dot --quiet
fi
[ -f "$rel/libbatch_dot.so" ] && [ -f "$rel/libbatch_dot.a" ] ||
  die "no $rel/libbatch_dot.{so,a}: build first (drop --no-build)"

command -v readelf >/dev/null || die "readelf not found (binutils): needed to check the SONAME"
soname=$(readelf -d "$rel/libbatch_dot.so" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$soname" = "libbatch_dot.so.$abi" ] ||
  die "$rel/libbatch_dot.so has SONAME '$soname', expected libbatch_dot.so.$abi (see build.rs)"
case $(readelf -h "$rel/libbatch_dot.so" | sed -n 's/^ *Class: *//p') in
  ELF64) ptr_size=8 ;;
  ELF32) ptr_size=4 ;;
  *) die "cannot tell the ELF class of $rel/libbatch_dot.so" ;;
esac

# The native libraries the static library needs, as rustc reports them for the
# staticlib. Cargo replays the note from its cache when nothing changed, so this
# costs nothing after the first time; it compiles only this crate otherwise.
log "cargo rustc --release -p batch_dot --crate-type staticlib -- --print native-static-libs"
rustc_out=$(cargo rustc --release -p batch_dot --crate-type staticlib --quiet \
  -- --print native-static-libs 2>&1) || { printf '%s\n' "$rustc_out" >&2; die "cargo rustc failed"; }
native_libs=$(printf '%s\n' "$rustc_out" | sed -n 's/^note: native-static-libs: *//p' | tail -n1)
native_libs=$(printf '%s' "$native_libs" | tr -s ' ' | sed 's/ *$//')
[ -n "$native_libs" ] || { printf '%s\n' "$rustc_out" >&2; die "rustc printed no native-static-libs note"; }

# --- install ---------------------------------------------------------------
dest=${DESTDIR:-}$prefix
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
lib=$dest/$libdir_name
real=libbatch_dot.so.$version
log "installing libbatch_dot $version (ABI $abi) into $dest"
install -d "$lib" "$dest/include" "$lib/pkgconfig" "$lib/cmake/batch_dot"

install -m 0755 "$rel/libbatch_dot.so" "$lib/$real"
ln -sfn "$real" "$lib/libbatch_dot.so.$abi"
ln -sfn "libbatch_dot.so.$abi" "$lib/libbatch_dot.so"
install -m 0644 "$rel/libbatch_dot.a" "$lib/libbatch_dot.a"
install -m 0644 "$ROOT/include/batch_dot.h" "$dest/include/batch_dot.h"
install -m 0644 "$ROOT/include/batch_dot_dlpack.h" "$dest/include/batch_dot_dlpack.h"
install -m 0644 "$ROOT/bindings/cpp/batch_dot.hpp" "$dest/include/batch_dot.hpp"

# pkg-config: ${pcfiledir} is the directory holding the .pc file (pkg-config
# and pkgconf both define it), so the prefix can be moved after installing.
pc_up=$(printf '%s' "$libdir_name/pkgconfig" | awk -F/ '{ s = ".."; for (i = 2; i <= NF; i++) s = s "/.."; print s }')
cat >"$lib/pkgconfig/batch_dot.pc" <<EOF
prefix=\${pcfiledir}/$pc_up
libdir=\${prefix}/$libdir_name
includedir=\${prefix}/include
abi_version=$abi
native_static_libs=$native_libs
# Headers: batch_dot.h, and batch_dot_dlpack.h for DLPack tensors, which
# includes <dlpack/dlpack.h> from the program's own include path.

Name: batch_dot
Description: Keras-exact batch_dot for float and double tensors of any strides (C ABI)
Version: $version
Libs: -L\${libdir} -lbatch_dot
Libs.private: \${native_static_libs}
Cflags: -I\${includedir}
EOF

# CMake: "-lm" -> "m"; anything else rustc names (a path, a -framework pair on
# other platforms) is passed on as it is.
cmake_libs=
for item in $native_libs; do
  case $item in -l*) item=${item#-l} ;; esac
  cmake_libs=${cmake_libs:+$cmake_libs;}$item
done
# How many directories the config file sits below the prefix.
up=$(printf '%s' "$libdir_name/cmake/batch_dot" | awk -F/ '{ s = ""; for (i = 1; i <= NF; i++) s = s "/.."; print s }')

cat >"$lib/cmake/batch_dot/batch_dotConfig.cmake" <<EOF
# CMake package of libbatch_dot $version, written by scripts/install.sh.
#
#   find_package(batch_dot $major.$minor REQUIRED)
#   target_link_libraries(app PRIVATE batch_dot::batch_dot)         # shared
#   target_link_libraries(app PRIVATE batch_dot::batch_dot_static)  # static
#
# Headers: batch_dot.h; batch_dot_dlpack.h (batch_dot_dlpack on DLPack
# tensors) includes <dlpack/dlpack.h>, which the program provides.
#
# Relocatable: every path is computed from this file's own location, so the
# installed prefix can be moved or copied elsewhere.
cmake_minimum_required(VERSION 3.5...3.31)

get_filename_component(_batch_dot_prefix "\${CMAKE_CURRENT_LIST_DIR}$up" ABSOLUTE)

set(batch_dot_VERSION "$version")
set(batch_dot_VERSION_MAJOR $major)
set(batch_dot_VERSION_MINOR $minor)
set(batch_dot_VERSION_PATCH $patch)
set(batch_dot_ABI_VERSION $abi)
set(batch_dot_INCLUDE_DIR "\${_batch_dot_prefix}/include")
set(batch_dot_INCLUDE_DIRS "\${batch_dot_INCLUDE_DIR}")
# The DLPack header (it needs the program's <dlpack/dlpack.h>).
set(batch_dot_DLPACK_HEADER "\${_batch_dot_prefix}/include/batch_dot_dlpack.h")
# What a program linking libbatch_dot.a also needs (from rustc's native-static-libs).
set(batch_dot_STATIC_LINK_LIBRARIES "$cmake_libs")

foreach(_batch_dot_file
    "\${_batch_dot_prefix}/include/batch_dot.h"
    "\${_batch_dot_prefix}/include/batch_dot_dlpack.h"
    "\${_batch_dot_prefix}/include/batch_dot.hpp"
    "\${_batch_dot_prefix}/$libdir_name/$real"
    "\${_batch_dot_prefix}/$libdir_name/libbatch_dot.a")
  if(NOT EXISTS "\${_batch_dot_file}")
    set(batch_dot_FOUND FALSE)
    set(batch_dot_NOT_FOUND_MESSAGE "\${_batch_dot_file} is missing: the installation under \${_batch_dot_prefix} is incomplete")
    unset(_batch_dot_file)
    unset(_batch_dot_prefix)
    return()
  endif()
endforeach()
unset(_batch_dot_file)

if(NOT TARGET batch_dot::batch_dot)
  add_library(batch_dot::batch_dot SHARED IMPORTED)
  set_target_properties(batch_dot::batch_dot PROPERTIES
    IMPORTED_LOCATION "\${_batch_dot_prefix}/$libdir_name/$real"
    IMPORTED_SONAME "libbatch_dot.so.$abi"
    INTERFACE_INCLUDE_DIRECTORIES "\${_batch_dot_prefix}/include")
endif()

if(NOT TARGET batch_dot::batch_dot_static)
  add_library(batch_dot::batch_dot_static STATIC IMPORTED)
  set_target_properties(batch_dot::batch_dot_static PROPERTIES
    IMPORTED_LOCATION "\${_batch_dot_prefix}/$libdir_name/libbatch_dot.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_batch_dot_prefix}/include"
    INTERFACE_LINK_LIBRARIES "\${batch_dot_STATIC_LINK_LIBRARIES}")
endif()

unset(_batch_dot_prefix)
EOF

cat >"$lib/cmake/batch_dot/batch_dotConfigVersion.cmake" <<EOF
# Version check of the batch_dot CMake package ($version), written by
# scripts/install.sh. Compatibility policy, as Cargo's semver:
#   * 0.x: a minor release may break the API, so 0.MINOR must match exactly
#     (find_package(batch_dot 0.1) accepts 0.1.z with z >= the requested patch,
#     not 0.2); the same rule as CMake's SameMinorVersion.
#   * from 1.0 on: MAJOR must match (SameMajorVersion).
# The installed version must also be >= the requested one. Version ranges
# (CMake >= 3.19, find_package(batch_dot 0.1...0.3)) are accepted when the
# installed version is inside the range and compatible with its lower end.
# The binary interface itself is versioned by the SONAME (libbatch_dot.so.$abi).
set(PACKAGE_VERSION "$version")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)

if(PACKAGE_FIND_VERSION_RANGE)
  set(_batch_dot_req "\${PACKAGE_FIND_VERSION_MIN}")
else()
  set(_batch_dot_req "\${PACKAGE_FIND_VERSION}")
endif()
if("\${_batch_dot_req}" MATCHES "^([0-9]+)(\\\\.([0-9]+))?")
  set(_batch_dot_req_major "\${CMAKE_MATCH_1}")
  set(_batch_dot_req_minor "\${CMAKE_MATCH_3}")
else()
  set(_batch_dot_req_major "")
  set(_batch_dot_req_minor "")
endif()
if("\${_batch_dot_req_minor}" STREQUAL "")
  set(_batch_dot_req_minor 0)
endif()

if(PACKAGE_FIND_VERSION_RANGE)
  set(_batch_dot_in_range TRUE)
  if(PACKAGE_FIND_VERSION_RANGE_MIN STREQUAL "INCLUDE" AND PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION_MIN)
    set(_batch_dot_in_range FALSE)
  elseif(PACKAGE_FIND_VERSION_RANGE_MIN STREQUAL "EXCLUDE" AND NOT PACKAGE_VERSION VERSION_GREATER PACKAGE_FIND_VERSION_MIN)
    set(_batch_dot_in_range FALSE)
  endif()
  if(PACKAGE_FIND_VERSION_RANGE_MAX STREQUAL "INCLUDE" AND PACKAGE_VERSION VERSION_GREATER PACKAGE_FIND_VERSION_MAX)
    set(_batch_dot_in_range FALSE)
  elseif(PACKAGE_FIND_VERSION_RANGE_MAX STREQUAL "EXCLUDE" AND NOT PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION_MAX)
    set(_batch_dot_in_range FALSE)
  endif()
  # A range that reaches past the lower end's compatible series is honoured
  # as written: the caller says which versions work.
  set(PACKAGE_VERSION_COMPATIBLE \${_batch_dot_in_range})
elseif("\${_batch_dot_req}" STREQUAL "")
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
elseif(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(NOT "\${_batch_dot_req_major}" STREQUAL "$major")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif($major EQUAL 0 AND NOT "\${_batch_dot_req_minor}" STREQUAL "$minor")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()

# The libraries are built for one pointer size: a project of another cannot use them.
if(DEFINED CMAKE_SIZEOF_VOID_P AND NOT CMAKE_SIZEOF_VOID_P STREQUAL "$ptr_size")
  math(EXPR _batch_dot_bits "$ptr_size * 8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (\${_batch_dot_bits}-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
  unset(_batch_dot_bits)
endif()

unset(_batch_dot_req)
unset(_batch_dot_req_major)
unset(_batch_dot_req_minor)
unset(_batch_dot_in_range)
EOF

chmod 0644 "$lib/pkgconfig/batch_dot.pc" "$lib/cmake/batch_dot/"*.cmake

# --- verify ----------------------------------------------------------------
got=$(readelf -d "$lib/$real" | sed -n 's/.*(SONAME).*\[\(.*\)\].*/\1/p')
[ "$got" = "libbatch_dot.so.$abi" ] || die "installed $real has SONAME '$got', expected libbatch_dot.so.$abi"
log "SONAME of $lib/$real: $got"
log "native libraries for static linking: $native_libs"
log "done: pkg-config: PKG_CONFIG_PATH=$lib/pkgconfig; CMake: -DCMAKE_PREFIX_PATH=$dest"
