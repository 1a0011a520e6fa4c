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

Threads: `--threads 1` (default) pins the process to the first allowed CPU;
with N > 1 it is pinned to the first N, and the library gets
`num_threads` = N. The suite and its inputs are bench_batch_dot.py's.
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
    p.add_argument("libs", nargs="+", help="paths of libbatch_dot.so builds; the first is the reference")
    p.add_argument("--cases", default="a,c", help="comma-separated case ids of the suite (default a,c)")
    p.add_argument("--dtype", default="f32", choices=["f32", "f64"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=21)
    p.add_argument("--min-time", type=float, default=0.02, help="seconds per build per round")
    return p.parse_args(argv)


def main():
    args = parse_args(sys.argv[1:])
    if len(args.libs) < 2:
        sys.exit("give at least two builds")
    bb.child_setup(args.threads)
    import numpy as np

    tmp = tempfile.mkdtemp(prefix="batch_dot_ab_")
    try:
        libs = []
        for i, path in enumerate(args.libs):
            copy = os.path.join(tmp, f"lib{i}.so")
            shutil.copyfile(path, copy)
            libs.append(bb.Library(copy))
    finally:
        # Loaded libraries stay mapped; the copies are no longer needed.
        shutil.rmtree(tmp, ignore_errors=True)
    dtype = np.float32 if args.dtype == "f32" else np.float64
    rng = np.random.default_rng(12345)
    wanted = args.cases.split(",")
    unknown = set(wanted) - {s["id"] for s in bb.suite(False)}
    if unknown:
        sys.exit(f"unknown case ids: {sorted(unknown)}")
    print(f"# {args.dtype}, {args.threads} thread(s), {args.rounds} rounds; ratio = median over rounds of "
          f"time(build)/time(build 0) (< 1: faster than build 0)")
    for i, path in enumerate(args.libs):
        print(f"# build {i}: {path}")
    print("| case | build | median | best | ratio to build 0 (quartiles) | output bitwise equal to build 0 |")
    print("|---|---|---|---|---|---|")
    for spec in bb.suite(False):
        if spec["id"] not in wanted:
            continue
        x, y, ax, ay, np_fn, flops, nbytes, unit = spec["make"](np, rng, dtype)
        # One output buffer for every build (the same addresses, so the same
        # alignment and cache behaviour); each build's result is copied out.
        out = np.empty(np_fn(x, y).shape, dtype=dtype)
        calls = [lib.caller(x, y, ax, ay, out, args.threads) for lib in libs]
        results = []
        for c in calls:
            out.fill(np.nan)
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
