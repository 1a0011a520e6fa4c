#!/usr/bin/env bash
# Go binding (bindings/go, cgo): installs the library into a temporary prefix
# with scripts/install.sh, then runs `go test` finding it through
# PKG_CONFIG_PATH alone, with cgo's full pointer checks (GODEBUG=cgocheck=2).
# Standard library only: no module is downloaded (GOPROXY=off).
source "$(dirname "$0")/../lib.sh"
cd "$ROOT"

need_apt golang-go pkg-config binutils

tmp=$(mktemp -d "${TMPDIR:-/tmp}/batch_dot-go.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

log "scripts/install.sh --prefix $tmp/prefix"
bash scripts/install.sh --prefix "$tmp/prefix" >&2

export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
export LD_LIBRARY_PATH="$tmp/prefix/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" GOFLAGS=-mod=mod GOPROXY=off
export GOTOOLCHAIN=local GOTELEMETRY=off CGO_ENABLED=1
export GODEBUG=cgocheck=2

cd bindings/go
log "$(go version); pkg-config batch_dot: $(pkg-config --modversion batch_dot)"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  log "gofmt: not formatted: $unformatted"
  exit 1
fi
go vet ./...
go test -count=1 ./...
