#!/usr/bin/env python3
"""Merge several runs of bench_batch_dot.py into the README's table.

    for i in 1 2 3 4 5; do
        python3 bench/bench_batch_dot.py --json /tmp/run$i.json
    done
    python3 bench/table.py /tmp/run*.json

Each figure is the median over the runs of that run's median. "vs NumPy" is
NumPy's time divided by ours, both from the same run: the median over runs,
with the lowest and highest run in brackets when there are three runs or
more. 2T/1T is the 1-thread time divided by the 2-thread time, per run, then
the median. A run whose result check failed stops the script.
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
        return f"{row['flops'] / s / 1e9:.0f} GF/s"
    if row["unit"] == "GB/s":
        return f"{row['bytes'] / s / 1e9:.1f} GB/s"
    return ""


def ratio_cell(ratios):
    med = statistics.median(ratios)
    if len(ratios) < 3:
        return f"{med:.2f}×"
    return f"{med:.2f}× ({min(ratios):.2f}–{max(ratios):.2f})"


def main(paths):
    if not paths:
        sys.exit(__doc__)
    # (case, dtype) -> threads -> list of rows, one per run
    rows = {}
    order = []
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        for threads, results in run.items():
            for r in results:
                if not r["ok"]:
                    sys.exit(f"{path}: {r['id']} {r['dtype']} {threads}T failed its check: {r['err']}")
                key = (r["id"], r["dtype"])
                if key not in rows:
                    rows[key] = {}
                    order.append(key)
                rows[key].setdefault(int(threads), []).append(r)
    print(f"{len(paths)} runs")
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
        one, two = per_t.get(1, []), per_t.get(2, [])
        if one and two and len(one) == len(two):
            cells.append(f"{statistics.median(a['ours'] / b['ours'] for a, b in zip(one, two)):.2f}")
        else:
            cells.append("–")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
