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

The 16-bit dtypes (`--dtype bf16`, `--dtype f16`, `--dtype lowp` = both):

    python3 bench/bench_batch_dot.py --dtype lowp --threads 1 --samples 5
    python3 bench/bench_batch_dot.py --dtype bf16 --out f32      # (BF16, BF16, F32) rows
    python3 bench/bench_batch_dot.py --dtype lowp --smoke        # results only

For every case, in the same child process and in interleaved rounds (each
round times every contestant once, in a fresh random order; the ratios are
medians over the rounds of the per-round ratio, so slow drift cancels):
  - ours: the 16-bit call through `batch_dot_compute` (x and y as uint16
    bits, out in the same 16-bit dtype, or f32 with `--out f32`);
  - our f32: `batch_dot_f32` on the same shapes and strides and the same
    values (exactly converted to f32): the column "× our f32";
  - the Python baseline: NumPy float16 matmul for f16 (on the same strided
    views), ml_dtypes.bfloat16 matmul for bf16 (which computes in float32
    and returns float32). NumPy float16 runs a scalar loop (about 0.4
    GFLOP/s): it is timed with single calls, at most `--slow-samples`
    samples and about `--slow-budget` seconds per case (the first call is
    its warm-up, and its only sample when it takes more than half of
    that); ml_dtypes' column is left out, with a note, when it is missing;
  - MKL (optional): `cblas_gemm_bf16bf16f32` / `cblas_gemm_f16f16f32`
    (f32 output) looped over the batch in C, on the contiguous cases only
    (not g1, g2, g3); when libmkl_rt can be loaded (`pip install mkl`, or
    BATCH_DOT_MKL=path) and a C compiler (`cc`) builds the loop.
GB/s counts 16-bit bytes for x and y (and out when it is 16-bit). Every
output, ours in both dtypes and MKL's, is checked against the exact
reference: the float64 sum of the exactly converted inputs, with the bound
2(K+2)·2^-24·Σ|x·y| before the one rounding to the output dtype (the value
must lie between the roundings of exact − bound and exact + bound).
With `--scaling`, an N-thread child (N > 1) also times our 16-bit call at
1 thread in the same rounds: its 2T/1T column is then from one process.

The int8 rows (`--dtype u8s8`, `--dtype s8`, `--dtype int8` = both):

    python3 bench/bench_batch_dot.py --dtype int8 --threads 1 --samples 5
    python3 bench/bench_batch_dot.py --dtype int8 --threads 2 --samples 5 --no-mkl
    python3 bench/bench_batch_dot.py --dtype int8 --threads 1 --samples 5 --clock cpu --no-mkl  # + oneDNN
    python3 bench/bench_batch_dot.py --dtype int8 --smoke        # results only

The same cases on random bytes: x's bytes read as uint8 (U8·S8, uniform in
[0, 255]) or as int8 (S8·S8, [-128, 127]), y's as int8; both rows use the
same bytes and buffers. Before any timing, every output (ours at N threads
and at 1 thread, our f32's, MKL's) is checked bit for bit against the exact
sum mod 2^32 (int8_reference); oneDNN's too (below), whose wrong result
would be reported in the check column and left untimed. In the same child
process, interleaved rounds time:
  - ours: U8·S8 through batch_dot_compute(U8, S8, S32), S8·S8 through
    batch_dot_s8 (int32 out);
  - our f32: batch_dot_f32 on the first row's values (exact in f32), same
    strides: the column "× our f32" (> 1: the int8 row is faster);
  - for case o, also f32 through batch_dot_compute, so that U8·S8's per-call
    difference from f32 is taken with the same entry point (S8·S8's with
    batch_dot_s8 against batch_dot_f32);
  - MKL (optional, `--no-mkl`): cblas_gemm_s8u8s32 looped over the batch in
    C, contiguous cases, U8·S8 rows. In row-major order it reads A as uint8
    and B as int8 (the name is the column-major view), and computes
    C = alpha·(A + ao)(B + bo) + beta·C + oc exactly in int32 here: it is
    called with ao = bo = 0, a fixed oc = 0, alpha 1, beta 0, A = x, B = y;
  - oneDNN (optional, `--no-onednn`): its matmul primitive, u8 x · s8 y →
    s32 and f32 → f32 (on our f32's values), built by the C shim
    bench/onednn_bench.c (compiled here with cc, no oneDNN headers needed)
    on the case's own sizes and strides, so the strided cases g1-g3 run too
    (with whatever implementation oneDNN picks for those strides: a note
    line per case names it, e.g. brg:avx512_core_vnni, gemm:jit, ref:any).
    Each primitive is created once; a timed call is one execute + stream
    wait. Columns "× oneDNN u8s8" (time(oneDNN u8s8) / time(our U8·S8))
    and "oneDNN u8s8 × its f32" (time(oneDNN f32) / time(oneDNN u8s8)), on
    the U8·S8 rows. When libdnnl.so.3 can be loaded (`pip install
    onednn-cpu-gomp`: oneDNN with GNU OpenMP, its thread count set from
    --threads; or BATCH_DOT_ONEDNN=path) and `cc` builds the shim; else a
    note and no column;
  - at N > 1 threads, our calls at 1 thread too: the column 2T/1T.
"S8·S8 ÷ U8·S8" is S8·S8's speed over U8·S8's; "others" is the share of
the machine's CPU that other processes used while the case was timed
(from /proc/stat, less this process's own CPU time). The table checks the int8
targets (TARGET_INT8_F32 and the others below). A build without the int8
rows (batch_dot_compute answers UNSUPPORTED_DTYPE, 15) stops the child with
one line saying so.
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# What the timings read: wall time, or with --clock cpu the calling
# thread's CPU time (set in main).
CLOCK = time.perf_counter
ROOT = os.path.normpath(os.path.join(HERE, ".."))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", default="1,2", help="thread counts to run, e.g. 1,2 (default)")
    p.add_argument("--cases", default="", help="comma-separated case ids (default: all)")
    p.add_argument("--dtype", default="auto",
                   choices=["auto", "f32", "f64", "both", "bf16", "f16", "lowp", "s8", "u8s8", "int8"],
                   help="auto = f32 for all cases plus f64 for a, b, c; lowp = bf16 and f16; "
                   "int8 = the (U8, S8, S32) and (S8, S8, S32) rows")
    p.add_argument("--out", default="same", choices=["same", "f32", "both"],
                   help="output dtype of the bf16/f16 rows: the input's (default), f32, or both "
                   "(--smoke checks both always)")
    p.add_argument("--slow-samples", type=int, default=3, help="at most this many samples of NumPy float16")
    p.add_argument("--slow-budget", type=float, default=3.0,
                   help="about this many seconds of NumPy float16 timing per case")
    p.add_argument("--no-mkl", action="store_true", help="leave out MKL's column of the bf16/f16 and int8 rows")
    p.add_argument("--no-onednn", action="store_true",
                   help="leave out oneDNN's columns (u8s8 and f32 matmul) of the int8 rows")
    p.add_argument("--scaling", action="store_true",
                   help="bf16/f16 rows: at N > 1 threads, also time our call at 1 thread in the same rounds "
                   "(2T/1T from one process; the int8 rows always do)")
    p.add_argument("--samples", type=int, default=7)
    p.add_argument("--min-time", type=float, default=0.02, help="seconds per sample")
    p.add_argument("--warmup", type=float, default=0.2, help="seconds of warm-up per case")
    p.add_argument("--lib", default="", help="path of libbatch_dot.so (default: BATCH_DOT_LIBRARY, target/release)")
    p.add_argument("--smoke", action="store_true", help="small shapes, 1 sample: checks results only")
    p.add_argument("--no-numpy-time", action="store_true",
                   help="do not time NumPy (nor NumPy float16 and ml_dtypes; still checks)")
    p.add_argument("--json", default="", help="also write the results as JSON to this file")
    p.add_argument("--clock", default="wall", choices=["wall", "cpu"],
                   help="wall time (default), or the calling thread's CPU time, which leaves out the time "
                        "a shared machine gives other processes (1-thread runs only: a second thread's "
                        "work is not counted)")
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
    kinds = {row_kind(row) for rows in results.values() for row in rows}
    if "float" in kinds:
        print_table(results, args)
    if "lowp" in kinds:
        print_lowp_table(results, args)
    if "int8" in kinds:
        print_int8_table(results, args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    bad = [row["id"] for rows in results.values() for row in rows if not row["ok"]]
    if bad:
        print("RESULT CHECK FAILED:", ", ".join(sorted(set(bad))))
        ok = False
    return 0 if ok else 1


def row_kind(row):
    """"int8", "lowp" (bf16/f16) or "float" (f32/f64): which table a result row belongs to."""
    if row.get("int8"):
        return "int8"
    return "lowp" if "x_f32" in row else "float"


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
        return f"{row['flops'] / t / 1e9:.1f} {'Gop/s' if row.get('int8') else 'GF/s'}"
    return "-"


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def print_table(results, args):
    counts = sorted(results)
    by_key = {}
    for t in counts:
        for row in results[t]:
            if row_kind(row) == "float":
                by_key.setdefault((row["id"], row["dtype"]), {})[t] = row
    print()
    print(f"# batch_dot vs numpy.matmul — {time.strftime('%Y-%m-%d %H:%M')} — {cpu_name()}, {os.cpu_count()} CPUs")
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
    if args.dtype in LOWP_CHOICES:
        return child_lowp(args, threads, np, lib)
    if args.dtype in INT8_CHOICES:
        return child_int8(args, threads, np, lib)
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
        t0 = CLOCK()
        for _ in range(n):
            f()
        dt = CLOCK() - t0
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
        t_end = CLOCK() + args.warmup
        while CLOCK() < t_end:
            f()
        n = calibrate(f, args.min_time)
        samples = []
        for _ in range(args.samples):
            t0 = CLOCK()
            for _ in range(n):
                f()
            samples.append((CLOCK() - t0) / n)
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


class CallError(RuntimeError):
    """A call of the library that returned a non-zero status (`status`)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


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
        for name in ("f32", "f64", "s8"):
            fn = getattr(lib, "batch_dot_" + name, None)
            if fn is None and name == "s8":
                continue  # builds before the int8 rows
            L = ctypes.POINTER(Layout)
            fn.argtypes = [L, ctypes.c_void_p, L, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, L,
                           ctypes.c_void_p, ctypes.POINTER(Options)]
            fn.restype = ctypes.c_int32
            self.fns[name] = fn
        # batch_dot_compute (dtype codes); absent from builds before it.
        self.compute = getattr(lib, "batch_dot_compute", None)
        if self.compute is not None:
            L = ctypes.POINTER(Layout)
            self.compute.argtypes = [ctypes.c_int32, L, ctypes.c_void_p, ctypes.c_int32, L, ctypes.c_void_p,
                                     ctypes.c_int64, ctypes.c_int64, ctypes.c_int32, L, ctypes.c_void_p,
                                     ctypes.POINTER(Options)]
            self.compute.restype = ctypes.c_int32
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

    def caller(self, x, y, ax, ay, out, nthreads, scale=None, dtypes=None, typed=True):
        """`batch_dot(x, y, (ax, ay))` into `out` on `nthreads` threads, as a
        function of no arguments (raises on a failed call). `scale`: None
        for the plain call, else (alpha, beta) with BATCH_DOT_OPT_SCALE
        (out = alpha*(x.y) + beta*out). `dtypes`: None for batch_dot_f32 /
        batch_dot_f64 (from x's item size), else the dtype codes (x, y, out)
        of a batch_dot_compute call (16-bit tensors as uint16 bits); (S8,
        S8, S32) calls batch_dot_s8 instead when the build has it and
        `typed` (batch_dot_compute with typed=False)."""
        ctypes, lib = self.ctypes, self.lib
        xl, xp = self.layout(x)
        yl, yp = self.layout(y)
        ol, op = self.layout(out)
        if scale is None:
            opts = self.Options(16, nthreads, 0, 0.0, 0.0)
        else:
            opts = self.Options(ctypes.sizeof(self.Options), nthreads, 1, scale[0], scale[1])
        if dtypes is None or (typed and tuple(dtypes) == (5, 5, 7) and "s8" in self.fns):
            fn = self.fns["s8" if dtypes else ("f32" if x.dtype.itemsize == 4 else "f64")]
            args_ = (ctypes.byref(xl), xp, ctypes.byref(yl), yp, ax, ay, ctypes.byref(ol), op, ctypes.byref(opts))
        else:
            if self.compute is None:
                raise RuntimeError("this build of libbatch_dot has no batch_dot_compute")
            for a, code in zip((x, y, out), dtypes):
                assert a.dtype.itemsize == DTYPE_SIZE[code], (a.dtype, code)
            fn = self.compute
            args_ = (dtypes[0], ctypes.byref(xl), xp, dtypes[1], ctypes.byref(yl), yp, ax, ay, dtypes[2],
                     ctypes.byref(ol), op, ctypes.byref(opts))
        keep = (xl, yl, ol, opts, x, y, out)

        def call():
            st = fn(*args_)
            if st != 0:
                buf = ctypes.create_string_buffer(512)
                lib.batch_dot_last_error_message(buf, 512)
                raise CallError(st, f"batch_dot failed: status {st}: {buf.value.decode()}")
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
        def shp(t):
            if s == 1:
                return tuple(t)
            return tuple(max(2, d // s) if i == 0 else (max(1, d // s) if inner else d) for i, d in enumerate(t))

        def make(np, rng, dtype):
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

        def make_lowp(np, rng, kind):
            """The case in a 16-bit dtype: a dict with x16/y16 (uint16 bits,
            the case's strides), x32/y32 (the same values exactly in f32,
            the same strides), views(f) = (x, y) as the case's views of
            f(bits) for f mapping a bits array to an array of its shape, and
            the numbers of the case."""
            to_bits, from_bits = lowp_conv(np, kind)
            xb = to_bits(rnd(np, rng, shp(xbase if xview is not None else xs), np.float32))
            yb = to_bits(rnd(np, rng, shp(ys), np.float32))
            view = xview if xview is not None else (lambda b: b)

            def views(f):
                return view(f(xb)), f(yb)
            x16, y16 = views(lambda b: b)
            x32, y32 = views(from_bits)
            fn = numpy_fn(np, x16.ndim, y16.ndim, ax, ay)
            out_shape = fn(x32, y32).shape
            k = x16.shape[ax]
            size = 1
            for d in out_shape:
                size *= d
            return {"x16": x16, "y16": y16, "x32": x32, "y32": y32, "views": views, "ax": ax, "ay": ay,
                    "fn": fn, "k": k, "out_shape": out_shape, "flops": 2.0 * size * k, "unit": unit,
                    "in_bytes": 2.0 * (x16.size + y16.size), "out_size": size}

        def make_int8(np, rng):
            """The case in 8-bit integers: one set of random bytes for x and
            one for y, in the case's shapes and strides; views(f) = (x, y)
            as the case's views of f(bytes) (f maps a uint8 array to an
            array of its shape). x's bytes read as uint8 are uniform in
            [0, 255], as int8 uniform in [-128, 127]; y is read as int8."""
            xb = rng.integers(0, 256, size=shp(xbase if xview is not None else xs), dtype=np.uint8)
            yb = rng.integers(0, 256, size=shp(ys), dtype=np.uint8)
            view = xview if xview is not None else (lambda b: b)

            def views(f, g=None):
                return view(f(xb)), (g or f)(yb)
            xu, _ = views(lambda b: b)
            fn = numpy_fn(np, xu.ndim, len(yb.shape), ax, ay)
            # Keras's shape rule: x's dims without axis_x, then y's without
            # the batch and axis_y; (batch, 1) when that leaves one dim.
            out_shape = tuple(d for i, d in enumerate(xu.shape) if i != ax) + \
                tuple(d for i, d in enumerate(yb.shape) if i not in (0, ay))
            if len(out_shape) == 1:
                out_shape += (1,)
            k = xu.shape[ax]
            size = 1
            for d in out_shape:
                size *= d
            return {"views": views, "ax": ax, "ay": ay, "fn": fn, "k": k, "out_shape": out_shape,
                    "ops": 2.0 * size * k, "unit": unit, "bytes": float(xu.size + yb.size + 4 * size)}
        return {"id": cid, "make": make, "make_lowp": make_lowp, "make_int8": make_int8}

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


# ---------------------------------------------------------------------------
# The 16-bit dtypes: bf16 and f16 rows (--dtype bf16|f16|lowp).
# ---------------------------------------------------------------------------

LOWP_CHOICES = ("bf16", "f16", "lowp")
DTYPE_CODE = {"f32": 1, "f64": 2, "f16": 3, "bf16": 4, "s8": 5, "u8": 6, "s32": 7}
DTYPE_SIZE = {1: 4, 2: 8, 3: 2, 4: 2, 5: 1, 6: 1, 7: 4}
# Targets of the 16-bit rows: ours ÷ our f32 (time ratio f32/ours) per case,
# and against the Python baseline of each dtype.
TARGET_F32 = {"a": 1.0, "a2": 1.0, "b": 1.0, "c": 1.0, "g1": 1.0, "g2": 1.0, "g3": 1.0,
              "d2": 1.7, "e": 1.7, "f": 1.7}
TARGET_BASE = {"f16": 100.0, "bf16": 1.0}
BASE_NAME = {"f16": "NumPy float16", "bf16": "ml_dtypes bf16"}


def lowp_conv(np, kind):
    """(to_bits, from_bits) of a 16-bit dtype: float32 array -> uint16 bits
    rounded to nearest even, and uint16 bits -> the exact float32 values.
    bfloat16 is the top half of a float32, so NumPy alone converts it."""
    if kind == "f16":
        return (lambda a: np.asarray(a, np.float32).astype(np.float16).view(np.uint16),
                lambda b: np.asarray(b).view(np.float16).astype(np.float32))

    def to_bits(a):
        a = np.ascontiguousarray(a, np.float32)
        u = a.view(np.uint32).astype(np.uint64)
        r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
        return np.where(np.isnan(a), np.uint16(0x7FC0) | (r & 0x8000), r).astype(np.uint16)

    def from_bits(b):
        return (np.asarray(b).astype(np.uint32) << 16).view(np.float32)
    return to_bits, from_bits


def round_to(np, v, kind):
    """float64 array v rounded to `kind` (f32, bf16 or f16), as float64. The
    bf16 rounding goes through f32 (double rounding), which is monotone:
    enough for bracketing."""
    with np.errstate(over="ignore", invalid="ignore"):
        if kind == "f32":
            return v.astype(np.float32).astype(np.float64)
        if kind == "f16":
            return v.astype(np.float16).astype(np.float64)
        to_bits, from_bits = lowp_conv(np, "bf16")
        return from_bits(to_bits(v.astype(np.float32))).astype(np.float64)


def lowp_reference(np, d):
    """(exact, bound): the float64 sum of the exactly converted inputs, and
    the bound 2(K+2)·2^-24·Σ|x·y| (plus (K+2)·2^-50·Σ|x·y| for float64's
    own rounding in both sums; the products are exact in float64)."""
    fn, k = d["fn"], d["k"]
    x64, y64 = d["x32"].astype(np.float64), d["y32"].astype(np.float64)
    exact = fn(x64, y64)
    absum = fn(np.abs(x64), np.abs(y64))
    return exact, (2.0 * (k + 2) * 2.0 ** -24 + (k + 2) * 2.0 ** -50) * absum


def check_lowp(np, got, kind, exact, bound):
    """(ok, message): every element of `got` (values of dtype `kind`, as an
    array of any float dtype) between round(exact - bound) and
    round(exact + bound), rounded to `kind`."""
    g = np.asarray(got, np.float64)
    lo, hi = round_to(np, exact - bound, kind), round_to(np, exact + bound, kind)
    good = (g >= lo) & (g <= hi)
    if bool(np.all(good)):
        if not g.size:
            return True, "empty"
        err = np.abs(g - exact)
        if kind == "f32":
            return True, f"max err/bound {float(np.max(err / np.maximum(bound, 1e-300))):.2e}"
        # In units in the last place of the 16-bit output (correct rounding: <= 0.5 + the bound).
        ulp = np.spacing(np.abs(g).astype(np.float32)).astype(np.float64) * 2.0 ** 16 if kind == "bf16" \
            else np.spacing(np.abs(g).astype(np.float16)).astype(np.float64)
        return True, f"max err {float(np.max(err / ulp)):.3f} ulp"
    i = np.unravel_index(int(np.argmin(good.ravel())), g.shape)
    nbad = int(g.size - np.count_nonzero(good))
    return False, (f"{nbad} of {g.size} outside the bound; at {tuple(map(int, i))}: got {float(g[i])!r}, "
                   f"allowed [{float(lo[i])!r}, {float(hi[i])!r}] (exact {float(exact[i])!r})")


MKL_SHIM = r"""
#include <stdint.h>
typedef void (*gemm16_fn)(int, int, int, int, int, int, float, const uint16_t *, int, const uint16_t *, int,
                          float, float *, int);
/* RowMajor (101), A not transposed (111), B transposed (112) or not. */
void loop_gemm16(gemm16_fn f, long batch, int transb, int m, int n, int k, const uint16_t *a, long sa, int lda,
                 const uint16_t *b, long sb, int ldb, float *c, long sc, int ldc) {
    for (long i = 0; i < batch; i++)
        f(101, 111, transb, m, n, k, 1.0f, a + i * sa, lda, b + i * sb, ldb, 0.0f, c + i * sc, ldc);
}
/* cblas_gemm_s8u8s32: RowMajor (101), offsetc CblasFixOffset (173) with
 * oc = {0}, ao = bo = 0, alpha 1, beta 0. In row-major order it reads A as
 * uint8 and B as int8 (the name is the column-major view), so A = x, B = y
 * of a U8·S8 case. */
typedef void (*gemm8_fn)(int, int, int, int, int, int, int, float, const void *, int, int8_t, const void *, int,
                         int8_t, float, int32_t *, int, const int32_t *);
void loop_gemm8(gemm8_fn f, long batch, int transb, int m, int n, int k, const uint8_t *a, long sa, int lda,
                const int8_t *b, long sb, int ldb, int32_t *c, long sc, int ldc) {
    static const int32_t oc[1] = {0};
    for (long i = 0; i < batch; i++)
        f(101, 111, transb, 173, m, n, k, 1.0f, a + i * sa, lda, 0, b + i * sb, ldb, 0, 0.0f, c + i * sc, ldc, oc);
}
"""
MKL_SYMBOL = {"bf16": "cblas_gemm_bf16bf16f32", "f16": "cblas_gemm_f16f16f32", "u8s8": "cblas_gemm_s8u8s32"}


def build_shim(what, src, text=None):
    """Compiles the C file `src` (written first from `text`, when given) into a
    shared object in a temporary directory and loads it: (the CDLL, None), or
    (None, the note saying why the column is left out)."""
    import ctypes
    import tempfile
    name = src if text is not None else os.path.relpath(src, os.path.dirname(HERE))
    tmp = tempfile.mkdtemp(prefix="batch_dot_shim_")
    try:
        so = os.path.join(tmp, "shim.so")
        if text is not None:
            src = os.path.join(tmp, src)
            with open(src, "w") as f:
                f.write(text)
        r = subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", so, src], capture_output=True, text=True)
        if r.returncode != 0:
            return None, f"{what}: cc failed to build {name}: {r.stderr.strip()[:200]}: column left out"
        return ctypes.CDLL(so), None
    except OSError as e:
        return None, f"{what}: no C compiler for {name} ({e}): column left out"
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


class Mkl:
    """MKL's cblas_gemm_bf16bf16f32 / cblas_gemm_f16f16f32 (kinds bf16, f16)
    or cblas_gemm_s8u8s32 (kind u8s8) looped over the batch by a few lines
    of C (built here with cc), so that the loop adds no Python per matrix.
    `Mkl.load(threads, kinds)` returns (Mkl or None, note)."""

    @staticmethod
    def load(threads, kinds=("bf16", "f16")):
        import ctypes
        import ctypes.util
        import site
        import subprocess
        try:
            import mkl  # noqa: F401  (mkl-service: loads libmkl_rt)
        except ImportError:
            pass
        cands = [os.environ.get("BATCH_DOT_MKL", "")]
        for base in (sys.prefix, site.getuserbase(), sys.base_prefix, "/opt/intel/oneapi/mkl/latest"):
            for name in ("libmkl_rt.so.3", "libmkl_rt.so.2", "libmkl_rt.so"):
                cands.append(os.path.join(base, "lib", name))
        cands.append(ctypes.util.find_library("mkl_rt") or "")
        lib = None
        for c in cands:
            if c and (os.path.isfile(c) or "/" not in c):
                try:
                    lib = ctypes.CDLL(c)
                    path = c
                    break
                except OSError:
                    continue
        if lib is None:
            return None, "MKL: libmkl_rt not found (pip install mkl, or BATCH_DOT_MKL=path): column left out"
        try:
            fns = {k: getattr(lib, MKL_SYMBOL[k]) for k in kinds}
        except AttributeError:
            return None, f"MKL: {path} has no {'/'.join(MKL_SYMBOL[k] for k in kinds)}: column left out"
        shim, note = build_shim("MKL", "batch_loop.c", MKL_SHIM)
        if shim is None:
            return None, note
        set_threads = getattr(lib, "MKL_Set_Num_Threads", None)
        if set_threads is not None:
            set_threads.argtypes = [ctypes.c_int]
            set_threads(threads)
        m = Mkl()
        m.ctypes, m.path = ctypes, path
        m.addr = {k: ctypes.cast(f, ctypes.c_void_p).value for k, f in fns.items()}
        i, l, p = ctypes.c_int, ctypes.c_long, ctypes.c_void_p
        m.loops = {}
        for name in ("loop_gemm16", "loop_gemm8"):
            fn = getattr(shim, name)
            fn.argtypes = [p, l, i, i, i, i, p, l, i, p, l, i, p, l, i]
            fn.restype = None
            m.loops[name] = fn
        return m, f"MKL: {path}, {threads} thread(s)"

    @staticmethod
    def form(x, y, ax, ay):
        """(batch, transb, m, n, k, sa, lda, sb, ldb, sc, ldc) of a case as
        row-major GEMMs over the batch, or None (a strided case)."""
        if not (x.flags.c_contiguous and y.flags.c_contiguous):
            return None
        nt, tr = 111, 112
        key, b = (x.ndim, y.ndim, ax, ay), x.shape[0]
        if key == (3, 3, 2, 2):
            _, m, k = x.shape
            n = y.shape[1]
            return b, tr, m, n, k, m * k, k, n * k, k, m * n, n
        if key == (3, 3, 2, 1):
            _, m, k = x.shape
            n = y.shape[2]
            return b, nt, m, n, k, m * k, k, k * n, n, m * n, n
        if key == (2, 2, 1, 1):
            k = x.shape[1]
            return b, tr, 1, 1, k, k, k, k, k, 1, 1
        if key == (3, 2, 2, 1):
            _, m, k = x.shape
            return b, nt, m, 1, k, m * k, k, k, 1, m, 1
        return None

    def caller(self, kind, x, y, ax, ay, out):
        """The case through MKL into `out` (float32 for bf16/f16, int32 for
        u8s8), as a function of no arguments, or None for a strided case."""
        f = self.form(x, y, ax, ay)
        if f is None:
            return None
        b, tb, m, n, k, sa, lda, sb, ldb, sc, ldc = f
        assert out.flags.c_contiguous and out.dtype.itemsize == 4 and out.size == b * m * n
        args_ = (self.addr[kind], b, tb, m, n, k, x.ctypes.data, sa, lda, y.ctypes.data, sb, ldb,
                 out.ctypes.data, sc, ldc)
        loop = self.loops["loop_gemm8" if kind == "u8s8" else "loop_gemm16"]

        def call():
            loop(*args_)
        call.keep = (x, y, out)
        return call


class OneDnn:
    """oneDNN's matmul primitive (libdnnl.so.3, e.g. from `pip install
    onednn-cpu-gomp`, or BATCH_DOT_ONEDNN=path) through the C shim
    bench/onednn_bench.c, built here with cc: u8·s8 → s32 and f32 → f32 on a
    case's own sizes and strides (oneDNN's memory descriptors take strides,
    so the strided cases run too). A primitive is created once per case and
    data type; a timed call is one execute + stream wait.
    `OneDnn.load(threads)` returns (OneDnn or None, note)."""

    @staticmethod
    def load(threads):
        import ctypes
        import ctypes.util
        import site
        import subprocess
        cands = [os.environ.get("BATCH_DOT_ONEDNN", "")]
        for base in (sys.prefix, site.getuserbase(), sys.base_prefix):
            for name in ("libdnnl.so.3", "libdnnl.so"):
                cands.append(os.path.join(base, "lib", name))
        cands.append(ctypes.util.find_library("dnnl") or "")
        lib = None
        for c in cands:
            if c and (os.path.isfile(c) or "/" not in c):
                try:
                    # RTLD_GLOBAL: the shim's dnnl_* symbols resolve against it.
                    lib = ctypes.CDLL(c, mode=ctypes.RTLD_GLOBAL)
                    path = c
                    break
                except OSError:
                    continue
        if lib is None:
            return None, ("oneDNN: libdnnl not found (pip install onednn-cpu-gomp, or BATCH_DOT_ONEDNN=path): "
                          "column left out")
        if not hasattr(lib, "dnnl_matmul_primitive_desc_create"):
            return None, f"oneDNN: {path} has no dnnl_matmul_primitive_desc_create (not oneDNN 3.x): column left out"
        shim, note = build_shim("oneDNN", os.path.join(HERE, "onednn_bench.c"))
        if shim is None:
            return None, note
        # The OpenMP runtime libdnnl was built with (GNU's here): OMP_NUM_THREADS
        # is set before the child starts; set it again through the runtime.
        nthr = "?"
        for omp in ("libgomp.so.1", "libiomp5.so"):
            try:
                o = ctypes.CDLL(omp)
                o.omp_set_num_threads.argtypes = [ctypes.c_int]
                o.omp_set_num_threads(threads)
                nthr = str(o.omp_get_max_threads())
                break
            except (OSError, AttributeError):
                continue
        buf = ctypes.create_string_buffer(512)
        shim.bench_onednn_init.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
        if shim.bench_onednn_init(buf, 512) != 0:
            return None, f"oneDNN: {buf.value.decode()}: column left out"
        p, L = ctypes.c_void_p, ctypes.POINTER(ctypes.c_int64)
        shim.bench_onednn_create.argtypes = [ctypes.c_int, L, L, L, L, p, p, p, ctypes.c_char_p, ctypes.c_size_t]
        shim.bench_onednn_create.restype = p
        shim.bench_onednn_exec.argtypes = [p]
        shim.bench_onednn_exec.restype = ctypes.c_int
        shim.bench_onednn_destroy.argtypes = [p]
        d = OneDnn()
        d.ctypes, d.shim, d.lib, d.path = ctypes, shim, lib, path
        return d, f"oneDNN: {path}, {buf.value.decode()}, OpenMP threads {nthr}"

    @staticmethod
    def form(x, y, ax, ay, out):
        """(dims (batch, M, N, K), src strides (batch, M, K), weights strides
        (batch, K, N), dst strides (batch, M, N)) in elements, of a case as
        a batched matmul out[b] = x[b] · w[b], or None. A dimension of extent
        1 gets the stride a dense tensor would have."""
        def st(a):
            return [s // a.itemsize for s in a.strides]
        sx, sy, so = st(x), st(y), st(out)
        key = (x.ndim, y.ndim, ax, ay)
        if key == (3, 3, 2, 2):  # x @ y^T
            b, m, k = x.shape
            n = y.shape[1]
            return (b, m, n, k), sx, [sy[0], sy[2], sy[1]], so
        if key == (3, 3, 2, 1):  # x @ y
            b, m, k = x.shape
            n = y.shape[2]
            return (b, m, n, k), sx, sy, so
        if key == (2, 2, 1, 1):  # row-wise dot: (b, 1, K) · (b, K, 1)
            b, k = x.shape
            return (b, 1, 1, k), [sx[0], k * sx[1], sx[1]], [sy[0], sy[1], 1], [so[0], 1, 1]
        if key == (3, 2, 2, 1):  # (b, M, K) · (b, K, 1)
            b, m, k = x.shape
            return (b, m, 1, k), sx, [sy[0], sy[1], 1], [so[0], so[1], 1]
        return None

    def caller(self, kind, x, y, ax, ay, out):
        """The case through oneDNN into `out` (int32 for kind "u8s8", x
        uint8 and y int8; float32 for "f32"), as (function of no arguments,
        implementation name), or (None, why not)."""
        ctypes = self.ctypes
        f = self.form(x, y, ax, ay, out)
        if f is None:
            return None, "no matmul form of this case"
        dims, ss, ws, ds = f
        arr = [(ctypes.c_int64 * 3)(*v) for v in (dims[:3], ss, ws, ds)]
        dims_a = (ctypes.c_int64 * 4)(*dims)
        buf = ctypes.create_string_buffer(512)
        h = self.shim.bench_onednn_create(0 if kind == "u8s8" else 1, dims_a, arr[1], arr[2], arr[3],
                                          x.ctypes.data, y.ctypes.data, out.ctypes.data, buf, 512)
        info = buf.value.decode()
        if not h:
            return None, info
        exe = self.shim.bench_onednn_exec

        def call():
            st = exe(h)
            if st != 0:
                raise RuntimeError(f"oneDNN execute failed: status {st}")
        call.keep = (x, y, out, arr, dims_a)
        return call, info


def cpu_snapshot():
    """(machine busy, machine total, this process's CPU) in seconds, from
    /proc/stat and getrusage (all threads of this process: the library's
    workers and MKL's too), or None where /proc/stat is missing."""
    import resource
    try:
        with open("/proc/stat") as f:
            v = [int(t) for t in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    busy = v[0] + v[1] + v[2] + sum(v[5:8])  # user nice system irq softirq steal
    total = busy + v[3] + v[4]  # + idle iowait
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return busy / hz, total / hz, ru.ru_utime + ru.ru_stime


def others_load(a, b):
    """The share of the machine's CPU time (0..1) used by other processes
    between two cpu_snapshot()s, or None."""
    if a is None or b is None or b[1] <= a[1]:
        return None
    return max(0.0, min(1.0, ((b[0] - a[0]) - (b[2] - a[2])) / (b[1] - a[1])))


def time_rounds(cands, args, threads):
    """Times the contestants in interleaved rounds. cands: dicts with name,
    f, spins (BLAS threads that spin after a call: a 0.3 s pause follows
    when threads > 1) and slow (single calls, few samples). Returns
    ({name: samples}, [per-round {name: seconds per call}])."""
    import random

    def pause(c):
        if c["spins"] and threads > 1:
            time.sleep(0.3)
    times = {c["name"]: [] for c in cands}
    for c in cands:
        if c["slow"]:
            t0 = CLOCK()
            c["f"]()  # warm-up
            first = CLOCK() - t0
            c["n"] = 1
            if first > args.slow_budget / 2 or args.slow_samples < 1:
                c["quota"], times[c["name"]] = 0, [first]
            else:
                c["quota"] = max(1, min(args.slow_samples, int((args.slow_budget - first) / max(first, 1e-9))))
        else:
            t_end = CLOCK() + args.warmup
            while CLOCK() < t_end:
                c["f"]()
            c["n"] = calibrate(c["f"], args.min_time)
            c["quota"] = args.samples
        pause(c)
    rounds = []
    for _ in range(args.samples):
        r = {}
        order = list(cands)
        random.shuffle(order)
        for c in order:
            if len(times[c["name"]]) >= c["quota"]:
                continue
            f, n = c["f"], c["n"]
            t0 = CLOCK()
            for _ in range(n):
                f()
            dt = (CLOCK() - t0) / n
            r[c["name"]] = dt
            times[c["name"]].append(dt)
            pause(c)
        rounds.append(r)
    return times, rounds


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if v else None


def ratio_to_ours(name, times, rounds, ref="ours"):
    """time(name) / time(ref): the median over the rounds that timed both,
    else (a contestant timed only at its warm-up) the ratio of medians."""
    per = [r[name] / r[ref] for r in rounds if name in r and ref in r]
    if per:
        return median(per)
    if times.get(name) and times.get(ref):
        return median(times[name]) / median(times[ref])
    return None


def child_lowp(args, threads, np, lib):
    kinds = {"bf16": ["bf16"], "f16": ["f16"], "lowp": ["bf16", "f16"]}[args.dtype]
    outs = ["same", "f32"] if args.smoke or args.out == "both" else [args.out]
    rng = np.random.default_rng(12345)
    timing = not args.smoke
    try:
        import ml_dtypes
    except ImportError:
        ml_dtypes = None
    if "bf16" in kinds and timing and not args.no_numpy_time and ml_dtypes is None:
        print(f"# {threads}T: ml_dtypes is not installed (pip install ml_dtypes): its bf16 column is left out")
    mkl = None
    if not args.no_mkl:
        mkl, note = Mkl.load(threads)
        print(f"# {threads}T: {note}")
    ok = True
    for spec in suite(args.smoke):
        cid = spec["id"]
        if args.cases and cid not in args.cases.split(","):
            continue
        for kind in kinds:
            d = spec["make_lowp"](np, rng, kind)
            x16, y16, x32, y32, ax, ay, fn = d["x16"], d["y16"], d["x32"], d["y32"], d["ax"], d["ay"], d["fn"]
            exact, bound = lowp_reference(np, d)
            _, from_bits = lowp_conv(np, kind)
            notes = []
            # Our f32 call on the same values and strides, checked too.
            out32 = np.empty(d["out_shape"], np.float32)
            call32 = lib.caller(x32, y32, ax, ay, out32, threads)
            call32()
            good32, err32 = check_lowp(np, out32, "f32", exact, bound)
            if not good32:
                notes.append("our f32: " + err32)
            # The Python baseline of the dtype.
            base = None
            if timing and not args.no_numpy_time:
                if kind == "f16":
                    xh, yh = d["views"](lambda b: b.view(np.float16))
                    base = {"name": "base", "f": (lambda xh=xh, yh=yh: fn(xh, yh)), "spins": False, "slow": True}
                elif ml_dtypes is not None:
                    xb, yb = d["views"](lambda b: b.view(ml_dtypes.bfloat16))
                    base = {"name": "base", "f": (lambda xb=xb, yb=yb: fn(xb, yb)), "spins": True, "slow": False}
            # MKL (f32 output), checked when it runs.
            mkl_call, mkl_ok = None, True
            if mkl is not None:
                outm = np.empty(d["out_shape"], np.float32)
                mkl_call = mkl.caller(kind, x16, y16, ax, ay, outm)
                if mkl_call is not None:
                    mkl_call()
                    mkl_ok, errm = check_lowp(np, outm, "f32", exact, bound)
                    notes.append("MKL " + ("ok" if mkl_ok else errm))
            for o in outs:
                outk = kind if o == "same" else "f32"
                out = np.empty(d["out_shape"], np.uint16 if o == "same" else np.float32)
                call = lib.caller(x16, y16, ax, ay, out, threads,
                                  dtypes=(DTYPE_CODE[kind], DTYPE_CODE[kind], DTYPE_CODE[outk]))
                row = {"id": cid, "dtype": kind, "out": outk, "threads": threads, "flops": d["flops"],
                       "bytes": d["in_bytes"] + d["out_size"] * (2 if o == "same" else 4),
                       "bytes_f32": 4.0 * (x32.size + y32.size + d["out_size"]), "unit": d["unit"],
                       "x_f32": None, "ours": None, "ours_best": None, "f32": None, "base": None, "base_n": 0,
                       "base_name": BASE_NAME[kind] if base else None, "mkl": None}
                try:
                    call()
                except RuntimeError as e:
                    row.update(ok=False, err=str(e))
                    ok = False
                    print("RESULT " + json.dumps(row), flush=True)
                    continue
                got = from_bits(out) if o == "same" else out
                good, err = check_lowp(np, got, outk, exact, bound)
                row["ok"] = good and good32 and mkl_ok
                row["err"] = "; ".join([err] + notes)
                ok &= row["ok"]
                if timing:
                    cands = [{"name": "ours", "f": call, "spins": False, "slow": False},
                             {"name": "f32", "f": call32, "spins": False, "slow": False}]
                    if base is not None:
                        cands.append(base)
                    if mkl_call is not None:
                        cands.append({"name": "mkl", "f": mkl_call, "spins": True, "slow": False})
                    if args.scaling and threads > 1:
                        call1 = lib.caller(x16, y16, ax, ay, out, 1,
                                           dtypes=(DTYPE_CODE[kind], DTYPE_CODE[kind], DTYPE_CODE[outk]))
                        cands.append({"name": "ours1", "f": call1, "spins": False, "slow": False})
                    times, rounds = time_rounds(cands, args, threads)
                    if args.scaling and threads > 1:
                        row.update(x_1t=ratio_to_ours("ours1", times, rounds))
                    row.update(ours=median(times["ours"]), ours_best=min(times["ours"]),
                               f32=median(times["f32"]), x_f32=ratio_to_ours("f32", times, rounds))
                    if base is not None:
                        row.update(base=median(times["base"]), base_n=len(times["base"]),
                                   x_base=ratio_to_ours("base", times, rounds))
                    if mkl_call is not None:
                        row.update(mkl=median(times["mkl"]), x_mkl=ratio_to_ours("mkl", times, rounds))
                print("RESULT " + json.dumps(row), flush=True)
    return 0 if ok else 1


def lowp_targets(row):
    """[(label, ratio, target)] of a 16-bit row."""
    out = []
    t = TARGET_F32.get(row["id"])
    if t is not None and row.get("x_f32") is not None:
        out.append(("f32", row["x_f32"], t))
    if row.get("x_base") is not None:
        out.append(("np" if row["dtype"] == "f16" else "mld", row["x_base"], TARGET_BASE[row["dtype"]]))
    return out


def print_lowp_table(results, args):
    counts = sorted(results)
    by_key = {}
    for t in counts:
        for row in results[t]:
            if row_kind(row) == "lowp":
                by_key.setdefault((row["id"], row["dtype"], row["out"]), {})[t] = row
    print()
    print(f"# batch_dot bf16/f16 — {time.strftime('%Y-%m-%d %H:%M')} — {cpu_name()}, {os.cpu_count()} CPUs")
    if args.smoke:
        print("# smoke: small sizes, results checked against the exact reference, nothing timed")
    else:
        print(f"# interleaved rounds: {args.samples}, each contestant ≥ {args.min_time} s per round; median "
              f"(best in brackets); × = time(other) / time(ours), median over rounds (> 1: ours faster)")
        print(f"# baseline: f16 rows NumPy float16 matmul (single calls, ≤ {args.slow_samples} samples, about "
              f"{args.slow_budget} s per case: its scalar loop runs at about 0.4 GFLOP/s); bf16 rows ml_dtypes "
              f"bfloat16 matmul (computes in float32, returns float32)")
        print("# MKL: cblas_gemm_bf16bf16f32 / cblas_gemm_f16f16f32 (f32 output) looped over the batch in C, "
              "contiguous cases only (a, a2, b, c, d1, d2, e, f, o; not g1, g2, g3)")
        print("# 2T/1T: the 1-thread child's time ÷ this one's, or with (i) (--scaling) the median over the "
              "interleaved rounds of this process of time(1 thread) ÷ time(N threads)")
        print("# GB/s counts 16-bit bytes (f32 out: 4-byte); targets: × our f32 ≥ 1.0 on a, a2, b, c, g1-g3, "
              "≥ 1.7 on d2, e, f; ≥ 100× NumPy float16; ahead of ml_dtypes (> 1.0), judged at the two "
              "decimals shown")
    hdr = ("| case | dtype | threads | ours | rate | our f32 | × our f32 | baseline | × baseline | MKL (f32 out) "
           "| × MKL | 2T/1T | targets | check |")
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    met, missed = 0, []
    for (cid, dt, outk), per in by_key.items():
        t1 = per.get(1)
        for t in counts:
            row = per.get(t)
            if row is None:
                continue
            ours = row["ours"]
            name = dt if outk == dt else f"{dt}→{outk}"
            sp = "-"
            if row.get("x_1t") is not None:
                sp = f"{row['x_1t']:.2f} (i)"
            elif t != 1 and t1 and t1["ours"] and ours:
                sp = f"{t1['ours'] / ours:.2f}"

            def x(v):
                return f"{v:.2f}" if v is not None else "-"
            base = "-"
            if row.get("base") is not None:
                n = f", {row['base_n']} sample{'s' if row['base_n'] != 1 else ''}" if dt == "f16" else ""
                base = f"{fmt_t(row['base'])} ({row['base_name']}{n})"
            tg = []
            for label, v, want in lowp_targets(row):
                v = round(v, 2)  # judged at the precision shown
                hit = v >= want if label != "mld" else v > want
                tg.append(f"{label} {'≥' if label != 'mld' else '>'}{want:g} {'✓' if hit else '✗'}")
                if hit:
                    met += 1
                else:
                    missed.append(f"{cid} {name} {t}T {label} {v:.2f} < {want:g}")
            best = f" ({fmt_t(row['ours_best'])})" if row.get("ours_best") else ""
            print(f"| {cid} | {name} | {t} | {fmt_t(ours)}{best} | {rate(row, ours)} | {fmt_t(row['f32'])} "
                  f"| {x(row.get('x_f32'))} | {base} | {x(row.get('x_base'))} | {fmt_t(row.get('mkl'))} "
                  f"| {x(row.get('x_mkl'))} | {sp} | {', '.join(tg) or '-'} "
                  f"| {('ok (' + row['err'] + ')' if args.smoke else 'ok') if row['ok'] else 'FAIL ' + row['err']} |")
    if met or missed:
        print(f"# targets met: {met}; missed: {len(missed)}" + (" — " + "; ".join(missed) if missed else ""))

# ---------------------------------------------------------------------------
# The int8 rows: (U8, S8, S32) and (S8, S8, S32) (--dtype u8s8|s8|int8).
# ---------------------------------------------------------------------------

INT8_CHOICES = ("s8", "u8s8", "int8")
INT8_ROWS = {"u8s8": ["u8s8"], "s8": ["s8s8"], "int8": ["u8s8", "s8s8"]}
INT8_NAME = {"u8s8": "U8·S8", "s8s8": "S8·S8"}
INT8_CODES = {"u8s8": (6, 5, 7), "s8s8": (5, 5, 7)}
# Targets of the int8 rows, at 1 thread: U8·S8 speed ÷ our f32 speed (time
# ratio f32/ours) per case; the memory-bound cases' targets hold for S8·S8
# too; S8·S8 ≥ 0.9× U8·S8's speed; case o within 10 ns of f32 per call. At
# 2 threads: 2T/1T ≥ 1.8 on the cases listed.
TARGET_INT8_F32 = {"a": 4.2, "b": 4.2, "c": 4.2, "a2": 3.5, "g1": 2.5, "g2": 2.5, "g3": 2.5,
                   "d2": 3.0, "e": 3.0, "f": 3.0, "d1": 1.0}
TARGET_INT8_BOTH = ("d1", "d2", "e", "f")
TARGET_S8_OF_U8 = 0.9
TARGET_O_NS = 10.0
TARGET_2T = 1.8
TARGET_2T_CASES = ("a", "a2", "b", "c", "d2", "e", "f")


def aligned_full(np, shape, dtype, fill):
    """An array of `shape` filled with `fill`, its data 64-byte aligned (as
    an engine allocates its tensors; NumPy's own alignment varies from call
    to call, and the int8 GEMM streams a large out only when its rows are
    aligned)."""
    n = 1
    for d in shape:
        n *= d
    item = np.dtype(dtype).itemsize
    buf = np.empty(n * item + 64, np.uint8)
    off = (-buf.ctypes.data) % 64
    a = buf[off:off + n * item].view(dtype).reshape(shape)
    a.fill(fill)
    return a


def int8_reference(np, fn, x, y, k):
    """The exact x·y modulo 2^32, as uint32 (the bits of the int32 output).
    The products of 8-bit integers are exact in float64, and so is every
    partial sum while K·max|x|·max|y| < 2^53 (all the suite's cases: at
    most 512·255·128 < 2^24), so NumPy's float64 matmul (BLAS) gives the
    exact int64 sum, in any order; past that bound the sum is taken in int64
    (NumPy's integer matmul, slow). Then reduced mod 2^32."""
    def amax(a):
        return max(abs(int(a.min())), abs(int(a.max()))) if a.size else 0
    if k * amax(x) * amax(y) < 2 ** 53:
        exact = fn(x.astype(np.float64), y.astype(np.float64)).astype(np.int64)
    else:
        exact = fn(x.astype(np.int64), y.astype(np.int64))
    return (exact & 0xFFFFFFFF).astype(np.uint32)


def check_int8(np, got, want):
    """(ok, message): `got` (int32 or any 4-byte array) bit for bit equal to
    `want` (uint32)."""
    g = np.asarray(got).view(np.uint32)
    bad = g != want
    if not bad.any():
        return True, "bit-exact"
    i = np.unravel_index(int(np.argmax(bad.ravel())), g.shape)
    return False, (f"{int(np.count_nonzero(bad))} of {g.size} differ; at {tuple(map(int, i))}: got "
                   f"{int(g[i].astype(np.int32))}, want {int(want[i].astype(np.int32))}")


def int8_support(np, lib, rows):
    """(None or why this build cannot run the rows, notes)."""
    if lib.compute is None:
        return "this build of libbatch_dot has no batch_dot_compute (it predates the int8 rows)", []
    y = np.arange(4, dtype=np.int8).reshape(1, 4)
    for r in rows:
        x = np.arange(4, dtype=np.uint8 if r == "u8s8" else np.int8).reshape(1, 4)
        out = np.zeros((1, 1), np.int32)
        try:
            lib.caller(x, y, 1, 1, out, 1, dtypes=INT8_CODES[r], typed=False)()
        except CallError as e:
            if e.status == 15:
                return (f"this build of libbatch_dot does not run the {INT8_NAME[r]} row: batch_dot_compute"
                        f"{INT8_CODES[r]} returns status 15 (UNSUPPORTED_DTYPE); it predates batch_dot_s8: "
                        "rebuild (cargo build --release) from a tree that has it"), []
            return f"the {INT8_NAME[r]} probe call failed: {e}", []
        if int(out[0, 0]) != 14:
            return f"the {INT8_NAME[r]} probe call gave {int(out[0, 0])}, not 14", []
    notes = []
    if "s8s8" in rows and "s8" not in lib.fns:
        notes.append("this build has no batch_dot_s8: the S8·S8 row calls batch_dot_compute")
    return None, notes


def child_int8(args, threads, np, lib):
    rows = INT8_ROWS[args.dtype]
    timing = not args.smoke
    why, notes = int8_support(np, lib, rows)
    if why:
        print(f"# {threads}T: int8: {why}", flush=True)
        return 3
    for n in notes:
        print(f"# {threads}T: {n}")
    mkl = None
    if "u8s8" in rows and not args.no_mkl:
        mkl, note = Mkl.load(threads, kinds=("u8s8",))
        print(f"# {threads}T: {note}")
    dnnl = None
    if "u8s8" in rows and not args.no_onednn:
        dnnl, note = OneDnn.load(threads)
        print(f"# {threads}T: {note}", flush=True)
    rng = np.random.default_rng(12345)
    ok = True
    for spec in suite(args.smoke):
        cid = spec["id"]
        if args.cases and cid not in args.cases.split(","):
            continue
        d = spec["make_int8"](np, rng)
        fn, ax, ay, k, shape = d["fn"], d["ax"], d["ay"], d["k"], d["out_shape"]
        xu, y = d["views"](lambda b: b, lambda b: b.view(np.int8))
        xs, _ = d["views"](lambda b: b.view(np.int8))
        xval = {"u8s8": xu, "s8s8": xs}
        want = {r: int8_reference(np, fn, xval[r], y, k) for r in rows}
        # Our f32 on the values of the first row (and the same strides),
        # exact too while every partial sum stays below 2^24.
        x32, y32 = d["views"](lambda b: b.view(xval[rows[0]].dtype).astype(np.float32),
                              lambda b: b.view(np.int8).astype(np.float32))
        out32 = aligned_full(np, shape, np.float32, 0)
        call32 = lib.caller(x32, y32, ax, ay, out32, threads)
        call32()
        exact32 = k * 255 * 128 < 2 ** 24
        good32 = not exact32 or bool(np.array_equal((out32.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32),
                                                    want[rows[0]]))
        common = [] if good32 else ["our f32 is not the exact sum"]
        # For case o: f32 through batch_dot_compute too, beside U8·S8 (which
        # only batch_dot_compute takes), so that both sides have its arguments.
        call32c = None
        if cid == "o" and "u8s8" in rows:
            out32c = aligned_full(np, shape, np.float32, 0)
            call32c = lib.caller(x32, y32, ax, ay, out32c, threads, dtypes=(1, 1, 1))
        # MKL (U8·S8 only: it has no S8·S8 GEMM), checked when it runs.
        mkl_call, mkl_ok, mkl_note = None, True, None
        if mkl is not None and "u8s8" in rows:
            outm = aligned_full(np, shape, np.int32, -1)
            mkl_call = mkl.caller("u8s8", xu, y, ax, ay, outm)
            if mkl_call is not None:
                t0 = CLOCK()
                mkl_call()
                # Case e is 10^6 GEMMs of 1×16·16×1 (about 2 µs each in
                # MKL): timed with single calls, as NumPy float16 is.
                mkl_slow = CLOCK() - t0 > 0.25
                mkl_ok, errm = check_int8(np, outm, want["u8s8"])
                mkl_note = "MKL " + errm
        # oneDNN's matmul (U8·S8 rows): u8·s8 → s32 checked bit for bit, f32
        # on our f32's values and strides checked as our f32 is; a primitive
        # that oneDNN does not create, or that gives a wrong result, is
        # reported and not timed.
        dnnl_calls, dnnl_notes, dnnl_impl, dnnl_checks = {}, [], {}, []
        if dnnl is not None and "u8s8" in rows:
            outd = aligned_full(np, shape, np.int32, -1)
            outdf = aligned_full(np, shape, np.float32, np.nan)
            for name, kind, xa, ya, o in (("dnnl", "u8s8", xu, y, outd), ("dnnl_f32", "f32", x32, y32, outdf)):
                label = "oneDNN " + ("u8s8" if kind == "u8s8" else "f32")
                call, info = dnnl.caller(kind, xa, ya, ax, ay, o)
                if call is None:
                    dnnl_notes.append(f"{label}: {info}: not timed")
                    continue
                dnnl_impl[kind] = info
                try:
                    t0 = CLOCK()
                    call()
                    slow = CLOCK() - t0 > 0.25
                except RuntimeError as e:
                    dnnl_notes.append(f"{label}: {e}: not timed")
                    continue
                if kind == "u8s8":
                    good, err = check_int8(np, o, want["u8s8"])
                elif exact32:
                    good, err = check_int8(np, (o.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32),
                                           want[rows[0]])
                else:
                    x64, y64 = x32.astype(np.float64), y32.astype(np.float64)
                    bound = 2.0 * (k + 1) * 2.0 ** -24 * fn(np.abs(x64), np.abs(y64))
                    good = bool(np.all(np.abs(o.astype(np.float64) - fn(x64, y64)) <= bound))
                    err = "within the f32 bound" if good else "outside the f32 bound"
                if good:
                    dnnl_calls[name] = (call, slow)
                    dnnl_checks.append(f"{label} {err}")
                else:
                    dnnl_notes.append(f"{label} WRONG: {err}: not timed")
            print(f"# {threads}T: oneDNN {cid}: " + "; ".join(
                [f"{kd} {im}" for kd, im in dnnl_impl.items()] + dnnl_notes), flush=True)
        calls, calls1, results = {}, {}, {}
        for r in rows:
            out = aligned_full(np, shape, np.int32, -1)  # every element must be written
            calls[r] = lib.caller(xval[r], y, ax, ay, out, threads, dtypes=INT8_CODES[r])
            if threads > 1:
                calls1[r] = lib.caller(xval[r], y, ax, ay, out, 1, dtypes=INT8_CODES[r])
            row = {"id": cid, "int8": True, "row": r, "dtype": r, "threads": threads, "flops": d["ops"],
                   "bytes": d["bytes"], "unit": d["unit"], "ours": None, "ours_best": None, "f32": None,
                   "x_f32": None, "x_u8s8": None, "mkl": None, "x_mkl": None, "x_1t": None, "d_f32_ns": None,
                   "dnnl": None, "x_dnnl": None, "dnnl_f32": None, "dnnl_x_f32": None}
            try:
                calls[r]()
                good, err = check_int8(np, out, want[r])
                if good and threads > 1:
                    out.fill(-1)
                    calls1[r]()
                    good, err = check_int8(np, out, want[r])
                    err = err if good else "at 1 thread: " + err
            except CallError as e:
                good, err = False, str(e)
            extra = common + ([mkl_note] if mkl_note and r == "u8s8" else [])
            extra += dnnl_checks + dnnl_notes if r == "u8s8" else []
            if r == "u8s8" and dnnl_notes:
                row["dnnl_err"] = "; ".join(dnnl_notes)
            if r == "u8s8" and dnnl_impl:
                row["dnnl_impl"] = dnnl_impl
            row["ok"] = good and good32 and (mkl_ok or r != "u8s8")
            row["err"] = "; ".join([err] + extra)
            ok &= row["ok"]
            results[r] = row
        if timing and all(results[r]["ok"] for r in rows):
            cands = [{"name": r, "f": calls[r], "spins": False, "slow": False} for r in rows]
            cands.append({"name": "f32", "f": call32, "spins": False, "slow": False})
            if call32c is not None:
                cands.append({"name": "f32c", "f": call32c, "spins": False, "slow": False})
            if mkl_call is not None:
                cands.append({"name": "mkl", "f": mkl_call, "spins": True, "slow": mkl_slow})
            for name, (call, slow) in dnnl_calls.items():
                # GNU OpenMP's threads spin for a while after a parallel region.
                cands.append({"name": name, "f": call, "spins": True, "slow": slow})
            for r in calls1:
                cands.append({"name": r + "@1", "f": calls1[r], "spins": False, "slow": False})
            snap = cpu_snapshot()
            times, rounds = time_rounds(cands, args, threads)
            load = others_load(snap, cpu_snapshot())
            for r in rows:
                row = results[r]
                row.update(ours=median(times[r]), ours_best=min(times[r]), f32=median(times["f32"]),
                           x_f32=ratio_to_ours("f32", times, rounds, ref=r), others=load)
                if r == "s8s8" and "u8s8" in rows:
                    row["x_u8s8"] = ratio_to_ours("u8s8", times, rounds, ref="s8s8")
                if r == "u8s8" and mkl_call is not None:
                    row.update(mkl=median(times["mkl"]), x_mkl=ratio_to_ours("mkl", times, rounds, ref=r))
                if r == "u8s8" and "dnnl" in dnnl_calls:
                    row.update(dnnl=median(times["dnnl"]), x_dnnl=ratio_to_ours("dnnl", times, rounds, ref=r))
                if r == "u8s8" and "dnnl_f32" in dnnl_calls:
                    # oneDNN f32 beside our U8·S8 and our f32.
                    row.update(dnnl_f32=median(times["dnnl_f32"]),
                               x_dnnl_f32=ratio_to_ours("dnnl_f32", times, rounds, ref=r),
                               f32_x_dnnl_f32=ratio_to_ours("dnnl_f32", times, rounds, ref="f32"))
                    if "dnnl" in dnnl_calls:
                        row["dnnl_x_f32"] = ratio_to_ours("dnnl_f32", times, rounds, ref="dnnl")
                if r in calls1:
                    row["x_1t"] = ratio_to_ours(r + "@1", times, rounds, ref=r)
                if cid == "o":
                    # batch_dot_s8 against batch_dot_f32 (the typed entry
                    # points), U8·S8 against f32 through batch_dot_compute.
                    ref = "f32c" if r == "u8s8" else "f32"
                    if r == "s8s8" and "s8" not in lib.fns:
                        ref = None
                    diffs = [rd[r] - rd[ref] for rd in rounds if ref and r in rd and ref in rd]
                    if diffs:
                        row["d_f32_ns"] = median(diffs) * 1e9
        for r in rows:
            print("RESULT " + json.dumps(results[r]), flush=True)
    return 0 if ok else 1


def int8_targets(row):
    """[(label, met)] of an int8 row (judged at the precision shown)."""
    out = []
    cid, r, t = row["id"], row["row"], row["threads"]
    if t == 1:
        want = TARGET_INT8_F32.get(cid)
        if want is not None and row.get("x_f32") is not None and (r == "u8s8" or cid in TARGET_INT8_BOTH):
            v = round(row["x_f32"], 2)
            out.append((f"f32 {v:.2f} ≥{want:g}", v >= want))
        if r == "s8s8" and cid != "o" and row.get("x_u8s8") is not None:
            v = round(row["x_u8s8"], 2)
            out.append((f"U8·S8 {v:.2f} ≥{TARGET_S8_OF_U8:g}", v >= TARGET_S8_OF_U8))
        if cid == "o" and row.get("d_f32_ns") is not None:
            v = round(row["d_f32_ns"])
            out.append((f"Δf32 {v:+.0f} ns ≤{TARGET_O_NS:g}", v <= TARGET_O_NS))
    elif cid in TARGET_2T_CASES and row.get("x_1t") is not None:
        v = round(row["x_1t"], 2)
        out.append((f"2T/1T {v:.2f} ≥{TARGET_2T:g}", v >= TARGET_2T))
    return out


def print_int8_table(results, args):
    counts = sorted(results)
    by_key = {}
    for t in counts:
        for row in results[t]:
            if row_kind(row) == "int8":
                by_key.setdefault((row["id"], row["row"]), {})[t] = row
    dnnl = any(row.get("dnnl") is not None or row.get("dnnl_f32") is not None for per in by_key.values()
               for row in per.values())
    print()
    print(f"# batch_dot int8 — {time.strftime('%Y-%m-%d %H:%M')} — {cpu_name()}, {os.cpu_count()} CPUs")
    if args.smoke:
        print("# smoke: small sizes, results checked bit for bit against the exact sum mod 2^32, nothing timed")
    else:
        print(f"# interleaved rounds: {args.samples}, each contestant ≥ {args.min_time} s per round; median "
              f"(best in brackets); × = time(other) / time(this row), median over rounds (> 1: this row faster)")
        print("# U8·S8: x's bytes as uint8 [0, 255] (batch_dot_compute); S8·S8: the same bytes as int8 "
              "[-128, 127] (batch_dot_s8); y int8; our f32: batch_dot_f32 on the first row's values, same strides")
        print("# S8·S8 ÷ U8·S8: S8·S8's speed ÷ U8·S8's (time(U8·S8) / time(S8·S8)); MKL: cblas_gemm_s8u8s32 "
              "row-major (A = x read as uint8, B = y as int8, ao = bo = 0, oc = 0, alpha 1, beta 0) looped over "
              "the batch in C, contiguous cases, U8·S8 rows")
        if dnnl:
            print("# oneDNN: its matmul primitive (bench/onednn_bench.c) on the case's own sizes and strides, "
                  "u8 x · s8 y → s32 and f32 → f32 on our f32's values, created once, timed execute + stream "
                  "wait; × oneDNN u8s8 = time(oneDNN u8s8) / time(our U8·S8); oneDNN u8s8 × its f32 = "
                  "time(oneDNN f32) / time(oneDNN u8s8); U8·S8 rows")
        print("# 2T/1T: time(our call at 1 thread) / time(at N threads), interleaved in the N-thread process; "
              "Gop/s counts 2·M·N·K; GB/s counts 1-byte x and y and the 4-byte out; others: the share of the "
              "machine's CPU other processes used while the case was timed (/proc/stat; high = noisy figures)")
        print("# targets (1 thread): U8·S8 × our f32 ≥ 4.2 on a, b, c, ≥ 3.5 on a2, ≥ 2.5 on g1-g3, ≥ 3 on d2, "
              "e, f, ≥ 1 on d1 (d*, e, f: S8·S8 too); S8·S8 ≥ 0.9× U8·S8; o: Δ per call vs f32 ≤ 10 ns "
              "(S8·S8: batch_dot_s8 - batch_dot_f32, U8·S8: both through batch_dot_compute; Python adds "
              "noise: bench/overhead.c is the reference); 2 threads: 2T/1T ≥ 1.8 on a, a2, b, c, d2, e, f")
    hdr = ("| case | row | threads | ours | rate | our f32 | × our f32 | S8·S8 ÷ U8·S8 | MKL s8u8s32 | × MKL "
           + ("| oneDNN u8s8 | × oneDNN u8s8 | oneDNN f32 | oneDNN u8s8 × its f32 " if dnnl else "")
           + "| 2T/1T | others | targets | check |")
    print(hdr)
    print("|" + "---|" * (hdr.count("|") - 1))
    met, missed = 0, []

    def x(v):
        return f"{v:.2f}" if v is not None else "-"

    def pct(v):
        return f"{100 * v:.0f} %" if v is not None else "-"
    for (cid, r), per in by_key.items():
        for t in counts:
            row = per.get(t)
            if row is None:
                continue
            ours = row["ours"]
            tg = []
            for label, hit in int8_targets(row):
                tg.append(f"{label} {'✓' if hit else '✗'}")
                if hit:
                    met += 1
                else:
                    missed.append(f"{cid} {INT8_NAME[r]} {t}T {label}")
            best = f" ({fmt_t(row['ours_best'])})" if row.get("ours_best") else ""
            check = ("ok (" + row["err"] + ")" if args.smoke else "ok") if row["ok"] else "FAIL " + row["err"]
            if row.get("dnnl_err"):
                check += f" ({row['dnnl_err']})"
            dcols = ""
            if dnnl:
                dcols = (f"| {fmt_t(row.get('dnnl'))} | {x(row.get('x_dnnl'))} | {fmt_t(row.get('dnnl_f32'))} "
                         f"| {x(row.get('dnnl_x_f32'))} ")
            print(f"| {cid} | {INT8_NAME[r]} | {t} | {fmt_t(ours)}{best} | {rate(row, ours)} | {fmt_t(row['f32'])} "
                  f"| {x(row.get('x_f32'))} | {x(row.get('x_u8s8'))} | {fmt_t(row.get('mkl'))} "
                  f"| {x(row.get('x_mkl'))} {dcols}| {x(row.get('x_1t'))} | {pct(row.get('others'))} "
                  f"| {', '.join(tg) or '-'} | {check} |")
    if met or missed:
        print(f"# targets met: {met}; missed: {len(missed)}" + (" — " + "; ".join(missed) if missed else ""))


def main():
    global CLOCK
    args = parse_args(sys.argv[1:])
    if args.clock == "cpu":
        if any(t.strip() not in ("", "1") for t in args.threads.split(",")) or args.scaling:
            print("--clock cpu times the calling thread only: use it with --threads 1", file=sys.stderr)
            return 2
        CLOCK = time.thread_time
    if args.child:
        # Strip --child N so the child's argv parse sees the user's options.
        return child(args, args.child)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
