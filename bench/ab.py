#!/usr/bin/env python3
"""Paired comparison of two or more builds of libbatch_dot on the suite's
cases: is a change faster, and does it change any result bit?

    cargo build --release && cp target/release/libbatch_dot.so /tmp/before.so
    # ... change, rebuild ...
    python3 bench/ab.py --cases a,c,g2 /tmp/before.so target/release/libbatch_dot.so
    python3 bench/ab.py --cases c --dtype f64 --rounds 31 A.so B.so C.so

On a shared machine the speed of the CPU drifts by tens of percent within
minutes, so two builds timed one after the other (two runs of
bench_batch_dot.py) disagree by more than most changes are worth. Here the
builds are loaded into one process (each from its own copy of the file, so
the loader keeps them apart) and timed in turns: every round times each
build once (about `--min-time` seconds of back-to-back calls), in a fresh
random order. The figure that decides is the median over the rounds of the
per-round ratio `time(build i) / time(build 0)`: drift slower than a round
cancels out of it. It also reports whether every build's output is bitwise
equal to build 0's on the same inputs.

A build may carry a call variant after `@`, so one build can be compared
with itself under other options:

    python3 bench/ab.py --cases a,c,e lib.so lib.so@0.125,0 lib.so@1,1 lib.so@pass:0.125

`@ALPHA,BETA` calls with BATCH_DOT_OPT_SCALE (out = alpha*(x.y) + beta*out);
`@pass:ALPHA` is the plain call followed by a separate NumPy pass
`out *= alpha` (what an engine without the fused scale does). Outputs are
then compared with build 0's as they are (a scaled output differs).

Threads: `--threads 1` (default) pins the process to the first allowed CPU;
with N > 1 it is pinned to the first N, and the library gets
`num_threads` = N. The suite and its inputs are bench_batch_dot.py's.

`--dtype bf16` or `--dtype f16` times the 16-bit call (batch_dot_compute,
out in the input's dtype) on the suite's inputs rounded to that dtype; the
`@pass:` variant is f32/f64 only.

`--dtype s8` or `--dtype u8s8` times the int8 rows (S8·S8 through
batch_dot_s8, U8·S8 through batch_dot_compute, int32 out) on random bytes
in the suite's shapes and strides (x's bytes read as int8 or uint8, y's as
int8); `@1,0` and `@1,1` are the only scales an int32 output takes.
"""

import argparse
import os
import random
import shutil
import sys
import tempfile
import time

import bench_batch_dot as bb


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("libs", nargs="+", help="paths of libbatch_dot.so builds, each optionally with @ALPHA,BETA "
                   "or @pass:ALPHA; the first is the reference")
    p.add_argument("--cases", default="a,c", help="comma-separated case ids of the suite (default a,c)")
    p.add_argument("--dtype", default="f32", choices=["f32", "f64", "bf16", "f16", "s8", "u8s8"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--min-time", type=float, default=0.02, help="seconds per build per round")
    return p.parse_args(argv)


def parse_variant(v):
    """'' (plain), 'ALPHA,BETA' (fused scale) or 'pass:ALPHA' (plain + NumPy pass)."""
    if not v:
        return None
    if v.startswith("pass:"):
        return ("pass", float(v[5:]))
    alpha, beta = v.split(",")
    return ("scale", float(alpha), float(beta))


def make_call(lib, variant, x, y, ax, ay, out, threads, dtypes=None):
    if variant is None:
        return lib.caller(x, y, ax, ay, out, threads, dtypes=dtypes)
    if variant[0] == "scale":
        return lib.caller(x, y, ax, ay, out, threads, scale=variant[1:], dtypes=dtypes)
    if dtypes is not None:
        sys.exit("the @pass: variant is for --dtype f32 and f64 only")
    import numpy as np

    plain, alpha = lib.caller(x, y, ax, ay, out, threads), variant[1]

    def call():
        plain()
        np.multiply(out, alpha, out=out)  # in place, out's own strides

    call.keep = plain
    return call


def main():
    args = parse_args(sys.argv[1:])
    if len(args.libs) < 2:
        sys.exit("give at least two builds")
    bb.child_setup(args.threads)
    import numpy as np

    tmp = tempfile.mkdtemp(prefix="batch_dot_ab_")
    try:
        libs, variants = [], []
        for i, spec in enumerate(args.libs):
            path, _, variant = spec.partition("@")
            copy = os.path.join(tmp, f"lib{i}.so")
            shutil.copyfile(path, copy)
            libs.append(bb.Library(copy))
            variants.append(parse_variant(variant))
    finally:
        # Loaded libraries stay mapped; the copies are no longer needed.
        shutil.rmtree(tmp, ignore_errors=True)
    lowp = args.dtype in ("bf16", "f16")
    int8 = args.dtype in ("s8", "u8s8")
    dtype = {"f32": np.float32, "f64": np.float64, "s8": np.int32, "u8s8": np.int32}.get(args.dtype, np.uint16)
    dtypes = None
    if lowp:
        dtypes = (bb.DTYPE_CODE[args.dtype],) * 3
    elif int8:
        dtypes = bb.INT8_CODES["s8s8" if args.dtype == "s8" else "u8s8"]
    rng = np.random.default_rng(12345)
    wanted = args.cases.split(",")
    unknown = set(wanted) - {s["id"] for s in bb.suite(False)}
    if unknown:
        sys.exit(f"unknown case ids: {sorted(unknown)}")
    print(f"# {args.dtype}, {args.threads} thread(s), {args.rounds} rounds; ratio = median over rounds of "
          f"time(build)/time(build 0) (< 1: faster than build 0)")
    for i, spec in enumerate(args.libs):
        print(f"# build {i}: {spec}")
    print("| case | build | median | best | ratio to build 0 (quartiles) | output bitwise equal to build 0 |")
    print("|---|---|---|---|---|---|")
    for spec in bb.suite(False):
        if spec["id"] not in wanted:
            continue
        if lowp:
            d = spec["make_lowp"](np, rng, args.dtype)
            x, y, ax, ay, shape = d["x16"], d["y16"], d["ax"], d["ay"], d["out_shape"]
        elif int8:
            d = spec["make_int8"](np, rng)
            x, y = d["views"](lambda b: b.view(np.uint8 if args.dtype == "u8s8" else np.int8),
                              lambda b: b.view(np.int8))
            ax, ay, shape = d["ax"], d["ay"], d["out_shape"]
        else:
            x, y, ax, ay, np_fn, flops, nbytes, unit = spec["make"](np, rng, dtype)
            shape = np_fn(x, y).shape
        # One output buffer for every build (the same addresses, so the same
        # alignment and cache behaviour); each build's result is copied out.
        out = np.empty(shape, dtype=dtype)
        calls = [make_call(lib, v, x, y, ax, ay, out, args.threads, dtypes) for lib, v in zip(libs, variants)]
        results = []
        for c in calls:
            out.fill(0)  # beta != 0 reads it
            c()
            results.append(out.copy())
        same = [bool(np.array_equal(results[0].view(np.uint8), r.view(np.uint8))) for r in results]
        n = bb.calibrate(calls[0], args.min_time)
        for c in calls:  # warm-up
            for _ in range(n):
                c()
        times = [[] for _ in calls]
        for _ in range(args.rounds):
            order = list(range(len(calls)))
            random.shuffle(order)
            for i in order:
                t0 = time.perf_counter()
                for _ in range(n):
                    calls[i]()
                times[i].append((time.perf_counter() - t0) / n)

        def quantiles(v):
            v = sorted(v)
            return v[len(v) // 4], v[len(v) // 2], v[(3 * len(v)) // 4]

        for i, ts in enumerate(times):
            if i == 0:
                ratio = "–"
            else:
                q1, q2, q3 = quantiles([t / t0 for t, t0 in zip(ts, times[0])])
                ratio = f"**{q2:.3f}** ({q1:.3f}–{q3:.3f})"
            eq = "–" if i == 0 else ("yes" if same[i] else "**no**")
            print(f"| {spec['id']} | {i} | {bb.fmt_t(quantiles(ts)[1])} | {bb.fmt_t(min(ts))} | {ratio} | {eq} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
