#!/usr/bin/env bash
# Concurrency test (issue 4): hardening/threads.c runs 8 threads calling the
# library at once (valid and invalid calls, num_threads 0-4, inputs shared)
# and checks every result bit for bit against the lone single-thread one and
# every thread's last-error message against its own.
#
# Race detector: ThreadSanitizer. The library is rebuilt with
# -Zsanitizer=thread and -Zbuild-std (so std's Mutex, Condvar, OnceLock and
# atomics are instrumented too); the C program is built with GCC's
# -fsanitize=thread plus hardening/tsan_shim.c. (Helgrind is not usable
# here: it does not understand std's futex-based locks and atomics and
# reports every OnceLock and pool hand-off as a race.) TSan does not see
# 32- and 64-byte vector accesses, so the run is repeated with the scalar
# kernels (BATCH_DOT_FORCE_ISA=scalar), where it sees every load and store;
# a self-test first checks that TSan does report a real race through the
# library. Then the uninstrumented release build runs the same test.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/hardening/lib.sh"
cd "$ROOT"
need_apt gcc libc6-dev
need_nightly rust-src

triple=$(host_triple)
tsan_target="$ROOT/target/tsan"
log "building libbatch_dot with ThreadSanitizer (nightly, -Zbuild-std)"
RUSTFLAGS="-Zsanitizer=thread" cargo +nightly build -Zbuild-std --target "$triple" --release \
  -p batch_dot --target-dir "$tsan_target" --quiet
link_lib "$tsan_target/$triple/release/libbatch_dot.so" "$HWORK/tsan-lib" >/dev/null

tbin="$HWORK/threads-tsan"
gcc -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=thread -rdynamic -I include -I testkit/c -I hardening \
  hardening/threads.c hardening/tsan_shim.c -o "$tbin" \
  -L "$HWORK/tsan-lib" -Wl,-rpath,"$HWORK/tsan-lib" -lbatch_dot -pthread -lm
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"

fail=0
log "TSan self-test: two threads writing one output must be reported"
set +e
BATCH_DOT_FORCE_ISA=scalar "$tbin" race-selftest 2>"$HWORK/race-selftest.log"
rc=$?
set -e
if [ "$rc" -eq 66 ] && grep -q "ThreadSanitizer: data race" "$HWORK/race-selftest.log"; then
  log "TSan reported the planted race (as it should)"
else
  log "TSan did NOT report the planted race (exit $rc): the detector is not working"
  cat "$HWORK/race-selftest.log" >&2
  fail=1
fi

for isa in scalar auto; do
  log "threads under ThreadSanitizer, BATCH_DOT_FORCE_ISA=$isa"
  BATCH_DOT_FORCE_ISA=$isa "$tbin" "${THREADS_SECONDS:-4}" || fail=1
done

libdir=$(hardening_lib)
bin="$HWORK/threads"
gcc -std=c11 -Wall -Wextra -Werror -O2 -g -I include -I testkit/c -I hardening hardening/threads.c -o "$bin" \
  -L "$libdir" -Wl,-rpath,"$libdir" -lbatch_dot -pthread -lm
log "threads, release build"
"$bin" "${THREADS_SECONDS:-4}" || fail=1
exit "$fail"
