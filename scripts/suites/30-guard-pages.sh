#!/usr/bin/env bash
# Guard-page test (issue 4): hardening/guard_pages.c puts every buffer
# between PROT_NONE pages (data at the end of its pages, or at the start),
# makes the inputs read-only, and runs many random valid and invalid strided
# layouts through the release libbatch_dot.so; any touch outside a buffer or
# any write to an input is a SIGSEGV that fails the run, and valid results
# must equal a naive loop exactly. Run once per kernel level the CPU has
# (BATCH_DOT_FORCE_ISA), since each level has its own loads and stores.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_apt gcc libc6-dev

libdir=$(hardening_lib)
bin="$HWORK/guard_pages"
gcc -std=c11 -Wall -Wextra -Werror -O2 -g -I include -I testkit/c -I hardening hardening/guard_pages.c -o "$bin" \
  -L "$libdir" -Wl,-rpath,"$libdir" -lbatch_dot -pthread -lm

cases=${GUARD_PAGES_CASES:-25000}
fail=0
# auto is amx where the CPU has it (the int8 GEMM on AMX tiles), else
# avx512bf16 (the bfloat16 dot-product GEMM); avx512bf16 is amx without
# tiles, avx512 the same level without vdpbf16ps. avxvnni and avx512vnni
# are the int8 kernels on vpdpbusd (256-bit, 512-bit); their float kernels
# are avx2's and avx512's. A level the CPU lacks runs the best one below
# it.
for isa in auto avx512bf16 avx512vnni avx512 avxvnni avx2 scalar; do
  log "guard_pages: $cases cases, BATCH_DOT_FORCE_ISA=$isa"
  BATCH_DOT_FORCE_ISA=$isa "$bin" "$cases" || fail=1
done

# batch_dot_dlpack (hardening/guard_dlpack.c): DLTensor structs, shape and
# strides arrays and data at guard pages; a few seconds per level.
need_apt libdlpack-dev
gcc -std=c11 -Wall -Wextra -Werror -O2 -g -I include -I testkit/c -I hardening hardening/guard_dlpack.c \
  -o "$HWORK/guard_dlpack" -L "$libdir" -Wl,-rpath,"$libdir" -lbatch_dot -pthread -lm
for isa in auto scalar; do
  log "guard_dlpack: BATCH_DOT_FORCE_ISA=$isa"
  BATCH_DOT_FORCE_ISA=$isa "$HWORK/guard_dlpack" "${GUARD_DLPACK_CASES:-20000}" || fail=1
done
exit "$fail"
