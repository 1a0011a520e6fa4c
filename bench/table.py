#!/usr/bin/env python3
"""Merge several runs of bench_batch_dot.py into the README's table.

    for i in 1 2 3 4 5; do
        python3 bench/bench_batch_dot.py --json /tmp/run$i.json
    done
    python3 bench/table.py /tmp/run*.json          # README form
    python3 bench/table.py --long /tmp/run*.json   # docs/PERFORMANCE.md form

Each figure is the median over the runs of that run's median. "vs NumPy" is
NumPy's time divided by ours, both from the same run: the median over runs,
with the lowest and highest run in brackets when there are three runs or
more. 2T/1T is the 1-thread time divided by the 2-thread time, per run, then
the median. With --long: a row per thread count, with NumPy's time (median
over runs), and each case's per-run 2T/1T. A run whose result check failed
stops the script.

Runs of the 16-bit rows (`--dtype bf16|f16|lowp`) give their own table, in
either form: a row per case, dtype and thread count, with our time, "× our
f32" (our f32 time ÷ our 16-bit time, the run's median over its rounds),
"× baseline" (NumPy float16 for f16, ml_dtypes for bf16) and "× MKL", each
the median over the runs (lowest–highest in brackets from three runs on).

Runs of the int8 rows (`--dtype int8|u8s8|s8`) give their own table too: a
row per case, row (U8·S8, S8·S8) and thread count, with our time, rate,
"× our f32", "S8·S8 ÷ U8·S8" (S8·S8's speed over U8·S8's), "× MKL"
(cblas_gemm_s8u8s32) and 2T/1T (timed interleaved in the 2-thread process),
each the median over the runs; case o shows its per-call difference from
f32 in ns in the rate column; "others" is the share of the machine's CPU
other processes used while the case was timed (median over the runs).
"""
import json
import statistics
import sys


def fmt_time(s):
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    return f"{s * 1e3:.2f} ms"


def fmt_rate(row, s):
    if row["unit"] == "GF/s":
        return f"{row['flops'] / s / 1e9:.0f} {'Gop/s' if row.get('int8') else 'GF/s'}"
    if row["unit"] == "GB/s":
        return f"{row['bytes'] / s / 1e9:.1f} GB/s"
    return ""


def ratio_cell(ratios, sign="×"):
    med = statistics.median(ratios)
    if len(ratios) < 3:
        return f"{med:.2f}{sign}"
    return f"{med:.2f}{sign} ({min(ratios):.2f}–{max(ratios):.2f})"


def scaling(per_t):
    """Each run's 1-thread time ÷ 2-thread time for one case, sorted (empty
    when the runs do not have both thread counts)."""
    one, two = per_t.get(1, []), per_t.get(2, [])
    if not one or len(one) != len(two):
        return []
    return sorted(a["ours"] / b["ours"] for a, b in zip(one, two))


def main(args):
    long_form = "--long" in args
    paths = [a for a in args if a != "--long"]
    if not paths:
        sys.exit(__doc__)
    # (case, dtype) -> threads -> list of rows, one per run
    rows = {}
    order = []
    lowp = {}  # (case, dtype, out) -> threads -> list of rows, one per run
    int8 = {}  # (case, row) -> threads -> list of rows, one per run
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        for threads, results in run.items():
            for r in results:
                if r.get("int8"):
                    if r.get("ours") is None:
                        sys.exit(f"{path}: {r['id']} {r['row']} {threads}T has no timings (a --smoke run?)")
                    if not r["ok"]:
                        sys.exit(f"{path}: {r['id']} {r['row']} {threads}T failed its check: {r['err']}")
                    int8.setdefault((r["id"], r["row"]), {}).setdefault(int(threads), []).append(r)
                    continue
                if "x_f32" in r:
                    if r.get("ours") is None:
                        sys.exit(f"{path}: {r['id']} {r['dtype']} {threads}T has no timings (a --smoke run?)")
                    if not r["ok"]:
                        sys.exit(f"{path}: {r['id']} {r['dtype']} {threads}T failed its check: {r['err']}")
                    lowp.setdefault((r["id"], r["dtype"], r["out"]), {}).setdefault(int(threads), []).append(r)
                    continue
                if r.get("ours") is None or r.get("numpy") is None:
                    sys.exit(f"{path}: {r['id']} {r['dtype']} {threads}T has no timings (a --smoke run?)")
                if not r["ok"]:
                    sys.exit(f"{path}: {r['id']} {r['dtype']} {threads}T failed its check: {r['err']}")
                key = (r["id"], r["dtype"])
                if key not in rows:
                    rows[key] = {}
                    order.append(key)
                rows[key].setdefault(int(threads), []).append(r)
    print(f"{len(paths)} runs")
    if lowp:
        print_lowp(lowp)
    if int8:
        print_int8(int8)
    if not rows:
        return
    if long_form:
        print_long(rows, order)
        return
    print("| case | dtype | 1 thread | vs NumPy | 2 threads | vs NumPy | 2T/1T |")
    print("|---|---|---|---|---|---|---|")
    for key in order:
        cells = [key[0] + (" (through ctypes)" if key[0] == "o" else ""), key[1]]
        per_t = rows[key]
        for t in (1, 2):
            runs = per_t.get(t, [])
            if not runs:
                cells += ["–", "–"]
                continue
            ours = statistics.median(r["ours"] for r in runs)
            rate = fmt_rate(runs[0], ours)
            cells.append(fmt_time(ours) + (f" ({rate})" if rate else ""))
            cells.append(ratio_cell([r["numpy"] / r["ours"] for r in runs]))
        s2 = scaling(per_t)
        cells.append(f"{statistics.median(s2):.2f}" if s2 else "–")
        print("| " + " | ".join(cells) + " |")


def print_lowp(lowp):
    print("| case | dtype | threads | libbatch_dot | rate | × our f32 | × baseline | × MKL (f32 out) |")
    print("|---|---|---|---|---|---|---|---|")
    for (cid, dt, out), per_t in lowp.items():
        for t in sorted(per_t):
            runs = per_t[t]
            ours = statistics.median(r["ours"] for r in runs)
            rate = fmt_rate(runs[0], ours) or "–"
            cells = []
            for key in ("x_f32", "x_base", "x_mkl"):
                v = [r[key] for r in runs if r.get(key) is not None]
                cells.append(ratio_cell(v) if v else "–")
            base = next((r["base_name"] for r in runs if r.get("base_name")), None)
            if base and cells[1] != "–":
                cells[1] += f" ({base})"
            name = dt if out == dt else f"{dt}→{out}"
            print(f"| {cid} | {name} | {t} | {fmt_time(ours)} | {rate} | " + " | ".join(cells) + " |")
    print()


INT8_NAME = {"u8s8": "U8·S8", "s8s8": "S8·S8"}


def print_int8(int8):
    print("| case | row | threads | libbatch_dot | rate | × our f32 | S8·S8 ÷ U8·S8 | × MKL s8u8s32 | others "
          "| 2T/1T |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (cid, row), per_t in int8.items():
        for t in sorted(per_t):
            runs = per_t[t]
            ours = statistics.median(r["ours"] for r in runs)
            rate = fmt_rate(runs[0], ours) or "–"
            d = [r["d_f32_ns"] for r in runs if r.get("d_f32_ns") is not None]
            if d:
                rate = f"Δ f32 {statistics.median(d):+.0f} ns"
            cells = []
            for key in ("x_f32", "x_u8s8", "x_mkl", "others", "x_1t"):
                v = [r[key] for r in runs if r.get(key) is not None]
                if key == "others":
                    cells.append(f"{100 * statistics.median(v):.0f} %" if v else "–")
                    continue
                cells.append(ratio_cell(v, sign="" if key == "x_1t" else "×") if v else "–")
            print(f"| {cid} | {INT8_NAME[row]} | {t} | {fmt_time(ours)} | {rate} | " + " | ".join(cells) + " |")
    print()


def print_long(rows, order):
    print("| case | dtype | threads | libbatch_dot | rate | NumPy | ratio (runs) | 2T/1T |")
    print("|---|---|---|---|---|---|---|---|")
    per_run = []
    for key in order:
        per_t = rows[key]
        s2 = scaling(per_t)
        for t in sorted(per_t):
            runs = per_t[t]
            ours = statistics.median(r["ours"] for r in runs)
            theirs = statistics.median(r["numpy"] for r in runs)
            rate = fmt_rate(runs[0], ours) or "–"
            ratio = ratio_cell([r["numpy"] / r["ours"] for r in runs], sign="")
            cell = f"{statistics.median(s2):.2f}" if t == 2 and s2 else "–"
            print(f"| {key[0]} | {key[1]} | {t} | {fmt_time(ours)} | {rate} | {fmt_time(theirs)} | **{ratio}** | {cell} |")
        if s2:
            name = key[0] if key[1] == "f32" else f"{key[0]} {key[1]}"
            per_run.append(f"{name} " + "/".join(f"{v:.2f}" for v in s2))
    print()
    print("Per-run 2T/1T (sorted): " + ", ".join(per_run) + ".")


if __name__ == "__main__":
    main(sys.argv[1:])
