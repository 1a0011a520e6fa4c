# Shared helpers for scripts/test-all.sh and scripts/suites/*.sh (source it).
# Every installer is idempotent: it installs only what is missing, so the
# suites work on a fresh machine and cost nothing on a prepared one.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ROOT
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

log() { printf '==> %s\n' "$*" >&2; }

_apt_updated=
# need_apt PKG...: apt-get install the Debian packages that are not installed.
need_apt() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "$_apt_updated" ]; then
    log "apt-get update"
    $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    _apt_updated=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# need_pip MODULE=SPEC...: pip install SPEC when `import MODULE` fails.
need_pip() {
  local missing=()
  for pair in "$@"; do
    local mod=${pair%%=*} spec=${pair#*=}
    python3 -c "import $mod" 2>/dev/null || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "pip install ${missing[*]}"
  python3 -m pip install -q --disable-pip-version-check "${missing[@]}"
}

# link_lib SO DIR: DIR/libbatch_dot.so (what -lbatch_dot finds) and
# DIR/libbatch_dot.so.0 (the SONAME, which the loader asks for) as links to
# SO; prints DIR.
link_lib() {
  mkdir -p "$2"
  ln -sf "$1" "$2/libbatch_dot.so"
  ln -sf "$1" "$2/libbatch_dot.so.0"
  echo "$2"
}

# build_release: builds target/release/libbatch_dot.{so,a} (release profile,
# no test features) and prints the directory.
build_release() {
  (cd "$ROOT" && cargo build --release -p batch_dot --quiet) >&2
  echo "$ROOT/target/release"
}
