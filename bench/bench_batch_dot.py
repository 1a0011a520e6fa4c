#!/usr/bin/env python3
"""Benchmark of libbatch_dot against NumPy's matmul (OpenBLAS), side by side
in the same process, on the suite of docs/PERFORMANCE.md.

    python3 bench/bench_batch_dot.py                 # 1 and 2 threads, f32 (+ f64 for a, b, c)
    python3 bench/bench_batch_dot.py --threads 1     # one thread count only
    python3 bench/bench_batch_dot.py --cases a,b,e --samples 9
    python3 bench/bench_batch_dot.py --smoke         # tiny sizes, results checked, no timing claims

Each thread count runs in its own child process, because the BLAS thread
count and the CPU affinity must be fixed before NumPy is imported: 1 thread
runs pinned to CPU {0}, 2 threads to CPUs {0,1}; OPENBLAS/OMP/MKL_NUM_THREADS
are set to the same count, and libbatch_dot gets `num_threads` = that count
in its options.

For every case: libbatch_dot, then NumPy, each with a warm-up (>= 0.2 s) and
`--samples` samples of >= `--min-time` seconds; then a 0.3 s pause (OpenBLAS's
threads spin for a while after a call and would steal the CPU from the next
measurement). The table shows medians (and the best). Results are checked against NumPy with the
rigorous bound |ours - numpy| <= 2 (K+1) u (|x|·|y|), computed in float64.

The library is found as the Python bindings find it (BATCH_DOT_LIBRARY, then
target/release); the timed call is a raw ctypes call with prebuilt layouts,
so Python adds about 1 µs per call (case `o` shows it; the per-call cost of
the C ABI itself comes from `cargo bench --bench overhead`).
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, ".."))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2", help="thread counts to run, e.g. 1,2 (default)")
    p.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    p.add_argument("--dtype", default="auto", choices=["auto", "f32", "f64", "both"],
                   help="auto = f32 for all cases plus f64 for a, b, c")
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.02, help="seconds per sample")
    p.add_argument("--warmup", type=float, default=0.2, help="seconds of warm-up per case")
    p.add_argument("--lib", default="", help="path of libbatch_dot.so (default: BATCH_DOT_LIBRARY, target/release)")
    p.add_argument("--smoke", action="store_true", help="small shapes, 1 sample: checks results only")
    p.add_argument("--no-numpy-time", action="store_true", help="do not time NumPy (still checks)")
    p.add_argument("--json", default="", help="also write the results as JSON to this file")
    p.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ---------------------------------------------------------------------------
# Parent: one child per thread count, then one table.
# ---------------------------------------------------------------------------

def parent(args):
    counts = [int(t) for t in args.threads.split(",") if t]
    results = {}
    ok = True
    for t in counts:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(t)] + sys.argv[1:]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
        rows = []
        for line in r.stdout.splitlines():
            if line.startswith("RESULT "):
                rows.append(json.loads(line[7:]))
            else:
                print(line)
        if r.returncode != 0:
            ok = False
            print(f"child for {t} thread(s) failed with status {r.returncode}", file=sys.stderr)
        results[t] = rows
    print_table(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    bad = [row["id"] for rows in results.values() for row in rows if not row["ok"]]
    if bad:
        print("RESULT CHECK FAILED:", ", ".join(sorted(set(bad))))
        ok = False
    return 0 if ok else 1


def fmt_t(s):
    if s is None:
        return "-"
    if s < 1e-6:
        return f"{s * 1e9:.0f} ns"
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    return f"{s * 1e3:.3f} ms"


def rate(row, t):
    if t is None or t <= 0:
        return "-"
    if row["unit"] == "GB/s":
        return f"{row['bytes'] / t / 1e9:.1f} GB/s"
    if row["unit"] == "GF/s":
        return f"{row['flops'] / t / 1e9:.1f} GF/s"
    return "-"


def print_table(results, args):
    counts = sorted(results)
    by_key = {}
    for t in counts:
        for row in results[t]:
            by_key.setdefault((row["id"], row["dtype"]), {})[t] = row
    cpu = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print()
    print(f"# batch_dot vs numpy.matmul — {time.strftime('%Y-%m-%d %H:%M')} — {cpu}, {os.cpu_count()} CPUs")
    print(f"# median of {args.samples} samples (best in brackets); ratio = numpy time / batch_dot time (> 1: faster)")
    hdr = "| case | dtype | threads | batch_dot | rate | numpy | rate | ratio | 2T/1T | check |"
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    for (cid, dt), per in by_key.items():
        t1 = per.get(1)
        for t in counts:
            row = per.get(t)
            if row is None:
                continue
            ours, npt = row["ours"], row["numpy"]
            ratio = f"{npt / ours:.2f}" if ours and npt else "-"
            sp = "-"
            if t != 1 and t1 and t1["ours"] and ours:
                sp = f"{t1['ours'] / ours:.2f}"
            print(f"| {cid} | {dt} | {t} | {fmt_t(ours)} ({fmt_t(row['ours_best'])}) | {rate(row, ours)} "
                  f"| {fmt_t(npt)} | {rate(row, npt)} | {ratio} | {sp} | {'ok' if row['ok'] else 'FAIL ' + row['err']} |")


# ---------------------------------------------------------------------------
# Child: fixed thread count, pinned, before NumPy is imported.
# ---------------------------------------------------------------------------

def child_setup(threads):
    for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "MATMUL_NUM_THREADS",
              "RAYON_NUM_THREADS", "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[v] = str(threads)
    os.environ.pop("BATCH_DOT_NUM_THREADS", None)
    try:
        cpus = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, set(cpus[:threads]) if len(cpus) >= threads else set(cpus))
    except (AttributeError, OSError):
        pass


def child(args, threads):
    child_setup(threads)
    import numpy as np

    lib = Library(load_library(args.lib))
    rng = np.random.default_rng(12345)
    ok = True
    for spec in suite(args.smoke):
        cid = spec["id"]
        if args.cases and cid not in args.cases.split(","):
            continue
        dts = {"auto": ["f32"] + (["f64"] if cid in ("a", "b", "c") else []), "f32": ["f32"],
               "f64": ["f64"], "both": ["f32", "f64"]}[args.dtype]
        for dt in dts:
            dtype = np.float32 if dt == "f32" else np.float64
            x, y, ax, ay, np_fn, flops, nbytes, unit = spec["make"](np, rng, dtype)
            out_shape = np_fn(x, y).shape
            out = np.empty(out_shape, dtype=dtype)
            call = lib.caller(x, y, ax, ay, out, threads)
            call()
            # Check against numpy with a rigorous bound.
            want = np_fn(x, y)
            bound = np_fn(np.abs(x).astype(np.float64), np.abs(y).astype(np.float64))
            k = x.shape[ax]
            u = np.finfo(dtype).eps / 2
            err = np.abs(out.astype(np.float64) - want.astype(np.float64))
            good = bool(np.all(err <= 2 * (k + 1) * u * bound + np.finfo(dtype).tiny))
            worst = float(np.max(err / (bound + 1e-300))) if err.size else 0.0
            ok &= good
            row = {"id": cid, "dtype": dt, "threads": threads, "flops": flops, "bytes": nbytes, "unit": unit,
                   "ok": good, "err": f"max err/bound {worst:.2e}"}
            if args.smoke:
                row.update(ours=None, ours_best=None, numpy=None, numpy_best=None)
            else:
                npcall = (lambda x=x, y=y, out=out: np_fn(x, y))
                ts = time_pair(call, None if args.no_numpy_time else npcall, args)
                row.update(ts)
            print("RESULT " + json.dumps(row), flush=True)
    return 0 if ok else 1


def calibrate(f, min_time):
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            f()
        dt = time.perf_counter() - t0
        if dt >= min_time * 0.5 or n >= 1 << 24:
            return max(1, int(n * min_time / max(dt, 1e-9)))
        n *= 2


def time_pair(ours, theirs, args):
    """Times ours, then NumPy, each with its own warm-up; then pauses, so
    that OpenBLAS's worker threads (which spin for a while after a call)
    have gone to sleep before the next case times libbatch_dot."""
    res = {}
    for name, f in (("ours", ours), ("numpy", theirs)):
        if f is None:
            res[name] = res[name + "_best"] = None
            continue
        t_end = time.perf_counter() + args.warmup
        while time.perf_counter() < t_end:
            f()
        n = calibrate(f, args.min_time)
        samples = []
        for _ in range(args.samples):
            t0 = time.perf_counter()
            for _ in range(n):
                f()
            samples.append((time.perf_counter() - t0) / n)
        samples.sort()
        res[name] = samples[len(samples) // 2]
        res[name + "_best"] = samples[0]
    time.sleep(0.3)
    return res


def load_library(path):
    """The path of the library: `path`, BATCH_DOT_LIBRARY, or target/release."""
    cands = [path] if path else []
    if os.environ.get("BATCH_DOT_LIBRARY"):
        cands.append(os.environ["BATCH_DOT_LIBRARY"])
    cands += [os.path.join(ROOT, "target", "release", "libbatch_dot.so")]
    for c in cands:
        if c and os.path.isfile(c):
            return c
    sys.exit("libbatch_dot.so not found: run `cargo build --release` or pass --lib / BATCH_DOT_LIBRARY")


class Library:
    """libbatch_dot loaded with ctypes from `path`: `caller(...)` prebuilds
    one call (layouts, options) and returns it as a function of no
    arguments, so that timing it adds only the ctypes call."""

    def __init__(self, path):
        import ctypes

        class Layout(ctypes.Structure):
            _fields_ = [("ndim", ctypes.c_int32), ("flags", ctypes.c_uint32), ("offset", ctypes.c_int64),
                        ("len", ctypes.c_int64), ("shape", ctypes.c_int64 * 16), ("strides", ctypes.c_int64 * 16)]

        class Options(ctypes.Structure):
            # The 32-byte options; plain calls pass struct_size 16 (the first
            # version's), which every build of the library accepts.
            _fields_ = [("struct_size", ctypes.c_size_t), ("num_threads", ctypes.c_uint32),
                        ("flags", ctypes.c_uint32), ("alpha", ctypes.c_double), ("beta", ctypes.c_double)]

        self.ctypes, self.Layout, self.Options = ctypes, Layout, Options
        self.lib = lib = ctypes.CDLL(path)
        self.fns = {}
        for name in ("f32", "f64"):
            fn = getattr(lib, "batch_dot_" + name)
            L = ctypes.POINTER(Layout)
            fn.argtypes = [L, ctypes.c_void_p, L, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, L,
                           ctypes.c_void_p, ctypes.POINTER(Options)]
            fn.restype = ctypes.c_int32
            self.fns[name] = fn
        lib.batch_dot_last_error_message.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        lib.batch_dot_last_error_message.restype = ctypes.c_size_t

    def layout(self, a):
        """Layout of the NumPy array `a`, anchored at the lowest element the
        view reaches, and the address of that element."""
        it = a.itemsize
        l = self.Layout()
        l.ndim = a.ndim
        lo = hi = 0
        for d, (n, s) in enumerate(zip(a.shape, a.strides)):
            assert s % it == 0
            l.shape[d] = n
            l.strides[d] = s // it
            if n > 1:
                if s < 0:
                    lo += (n - 1) * (s // it)
                else:
                    hi += (n - 1) * (s // it)
        l.offset = -lo
        l.len = hi - lo + 1 if a.size else 0
        return l, a.ctypes.data + lo * it

    def caller(self, x, y, ax, ay, out, nthreads, scale=None):
        """`batch_dot(x, y, (ax, ay))` into `out` on `nthreads` threads, as a
        function of no arguments (raises on a failed call). `scale`: None
        for the plain call, else (alpha, beta) with BATCH_DOT_OPT_SCALE
        (out = alpha*(x.y) + beta*out)."""
        ctypes, lib = self.ctypes, self.lib
        xl, xp = self.layout(x)
        yl, yp = self.layout(y)
        ol, op = self.layout(out)
        if scale is None:
            opts = self.Options(16, nthreads, 0, 0.0, 0.0)
        else:
            opts = self.Options(ctypes.sizeof(self.Options), nthreads, 1, scale[0], scale[1])
        fn = self.fns["f32" if x.dtype.itemsize == 4 else "f64"]
        args_ = (ctypes.byref(xl), xp, ctypes.byref(yl), yp, ax, ay, ctypes.byref(ol), op, ctypes.byref(opts))
        keep = (xl, yl, ol, opts, x, y, out)

        def call():
            st = fn(*args_)
            if st != 0:
                buf = ctypes.create_string_buffer(512)
                lib.batch_dot_last_error_message(buf, 512)
                raise RuntimeError(f"batch_dot failed: status {st}: {buf.value.decode()}")
        call.keep = keep
        return call


# ---------------------------------------------------------------------------
# The suite (docs/PERFORMANCE.md). make(np, rng, dtype) returns
# (x, y, axis_x, axis_y, numpy_fn, flops, bytes, unit).
# ---------------------------------------------------------------------------

def suite(smoke):
    def rnd(np, rng, shape, dtype):
        return rng.standard_normal(shape).astype(dtype)

    def case(cid, xs, ys, ax, ay, unit, xview=None, xbase=None, s=1, inner=True):
        """xs/ys: shapes; xview: function making x from a base array of shape
        xbase; s: divide the extents by s (the batch only, unless inner)."""
        def make(np, rng, dtype):
            def shp(t):
                if s == 1:
                    return tuple(t)
                return tuple(max(2, d // s) if i == 0 else (max(1, d // s) if inner else d) for i, d in enumerate(t))
            if xview is not None:
                base = rnd(np, rng, shp(xbase), dtype)
                x = xview(base)
            else:
                x = rnd(np, rng, shp(xs), dtype)
            y = rnd(np, rng, shp(ys), dtype)
            fn = numpy_fn(np, x.ndim, y.ndim, ax, ay)
            out = fn(x, y)
            k = x.shape[ax]
            flops = 2.0 * out.size * k
            nbytes = float(x.size + y.size + out.size) * x.itemsize
            return x, y, ax, ay, fn, flops, nbytes, unit
        return {"id": cid, "make": make}

    s = 8 if smoke else 1
    return [
        case("a", (96, 64, 64), (96, 64, 64), 2, 2, "GF/s", s=s),
        case("a2", (96, 128, 64), (96, 128, 64), 2, 2, "GF/s", s=s),
        case("b", (96, 128, 128), (96, 128, 64), 2, 1, "GF/s", s=s),
        case("c", (8, 512, 512), (8, 512, 512), 2, 1, "GF/s", s=s),
        case("d1", (4096, 4, 4), (4096, 4, 4), 2, 1, "GB/s", s=s, inner=False),
        case("d2", (10000, 8, 8), (10000, 8, 8), 2, 1, "GB/s", s=s, inner=False),
        case("e", (1000000, 16), (1000000, 16), 1, 1, "GB/s", s=s, inner=False),
        case("f", (1024, 256, 256), (1024, 256), 2, 1, "GB/s", s=s),
        case("g1", None, (96, 64, 64), 2, 2, "GF/s", xview=lambda b: b[:, ::2, :], xbase=(96, 128, 64), s=s),
        case("g2", None, (8, 512, 512), 2, 1, "GF/s", xview=lambda b: b.transpose(0, 2, 1), xbase=(8, 512, 512), s=s),
        case("g3", None, (96, 64, 64), 2, 2, "GF/s", xview=lambda b: b[:, :, ::2], xbase=(96, 64, 128), s=s),
        case("o", (1, 4), (1, 4), 1, 1, "-"),
    ]


def numpy_fn(np, xn, yn, ax, ay):
    """numpy.matmul formulation of batch_dot for the suite's rank/axes pairs."""
    if (xn, yn, ax, ay) == (3, 3, 2, 2):
        return lambda x, y: np.matmul(x, y.transpose(0, 2, 1))
    if (xn, yn, ax, ay) == (3, 3, 2, 1):
        return lambda x, y: np.matmul(x, y)
    if (xn, yn, ax, ay) == (2, 2, 1, 1):
        return lambda x, y: np.matmul(x[:, None, :], y[:, :, None])[:, :, 0]
    if (xn, yn, ax, ay) == (3, 2, 2, 1):
        return lambda x, y: np.matmul(x, y[:, :, None])[:, :, 0]
    raise ValueError((xn, yn, ax, ay))


def main():
    args = parse_args(sys.argv[1:])
    if args.child:
        # Strip --child N so the child's argv parse sees the user's options.
        return child(args, args.child)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
