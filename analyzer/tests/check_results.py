#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Workload results (result.N / result.NAME.K / grid.row, grid.col in the
variants' meta.txt): nt-analyze run tabulates them per grid cell.  The mean,
the sample standard deviation and the confidence interval are recomputed
here independently: Student's t quantile by Simpson integration of the t
density and bisection (the C code uses the incomplete beta function).
Usage: check_results.py NT_ANALYZE WORKDIR"""
import csv
import json
import math
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check as ok, finish  # noqa: E402


def t_cdf(t, df, n=20000):
    pdf = lambda x: math.exp(math.lgamma((df + 1) / 2) - math.lgamma(df / 2)) / math.sqrt(df * math.pi) * \
        (1 + x * x / df) ** (-(df + 1) / 2)
    h = t / n
    s = pdf(0) + pdf(t) + sum((4 if i % 2 else 2) * pdf(i * h) for i in range(1, n))
    return 0.5 + s * h / 3


def t_quant(p, df):
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2


def write(path, lines):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("".join(l + "\n" for l in lines))


REC = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"


def run(prog, d, *opt):
    return subprocess.run([prog, "run", "--no-plots", *opt, d], capture_output=True, text=True)


def main():
    prog, w = sys.argv[1], sys.argv[2]
    rnd = random.Random(7)
    rows, cols = ["native", "passthrough", "paravirtual"], ["none", "cpu", "io"]
    d = f"{w}/run"
    variants, vals = [], {}
    for r in rows:
        for c in cols:
            v = f"{r[:3]}-{c}"
            variants.append(v)
            if (r, c) == ("paravirtual", "io"):
                continue  # listed, never run: "not run"
            meta = [f"variant={v}", f"grid.row={r}", f"grid.col={c}", "span.0=hv_deliver",
                    "result.0=dd_write:s", "result.dd_write.what=seconds dd reported", "result.dd_write.reps=5",
                    "result.1=iperf3:Mbit/s", "result.iperf3.reps=5"]
            base = {"native": 2.0, "passthrough": 2.2, "paravirtual": 3.5}[r] * (1.5 if c == "io" else 1)
            xs = [round(base + rnd.gauss(0, 0.2), 6) for _ in range(5)]
            if (r, c) == ("passthrough", "cpu"):
                meta.append("result.dd_write.3=failed")  # overridden below: the last occurrence wins
            for k, x in enumerate(xs, 1):
                meta.append(f"result.dd_write.{k}={x!r}")
            if (r, c) == ("passthrough", "cpu"):
                meta.append("result.dd_write.3=failed")
                xs.pop(2)
            ys = [round(90 / base + rnd.gauss(0, 2), 3) for _ in range(2)]
            meta += [f"result.iperf3.{k}={y}" for k, y in enumerate(ys, 1)]
            meta.append("status=ok")
            vals[v] = {"dd_write": xs, "iperf3": ys}
            write(f"{d}/{v}/meta.txt", meta)
            write(f"{d}/{v}/hv.csv", [REC, "hv,hv_deliver,0,1000,40,,,0,900,"])
    write(f"{d}/meta.txt", [f"variants={' '.join(variants)}", "grid.rows=" + " ".join(rows),
                           "grid.cols=" + " ".join(cols), "grid.row_title=configuration", "grid.col_title=load",
                           "time_label=emulated (QEMU TCG)", "tsc_hz=1000000000"])
    r = run(prog, d)
    ok(r.returncode == 0, f"run: exit {r.returncode}: {r.stderr}")
    got = {}
    with open(f"{d}/results.csv") as f:
        for row in csv.DictReader(f):
            got[(row["variant"], row["result"])] = row
    ok(len(got) == 16, f"results.csv has {len(got)} rows, want 16 (8 cells x 2 results)")
    for v, res in vals.items():
        for name, xs in res.items():
            g = got.get((v, name))
            if not g:
                ok(False, f"no row for {v} {name}")
                continue
            n = len(xs)
            mean = sum(xs) / n
            sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
            half = t_quant(0.975, n - 1) * sd / math.sqrt(n)
            ok(int(g["n"]) == n, f"{v} {name}: n {g['n']}, want {n}")
            ok(abs(float(g["mean"]) - mean) <= 1e-12 * abs(mean), f"{v} {name}: mean {g['mean']} vs {mean}")
            ok(abs(float(g["stddev"]) - sd) <= 1e-9 * sd, f"{v} {name}: stddev {g['stddev']} vs {sd}")
            ok(abs(float(g["ci_lo"]) - (mean - half)) <= 1e-7 * half and
               abs(float(g["ci_hi"]) - (mean + half)) <= 1e-7 * half,
               f"{v} {name}: interval [{g['ci_lo']}, {g['ci_hi']}] vs +-{half}")
            ok(float(g["min"]) == min(xs) and float(g["max"]) == max(xs), f"{v} {name}: min/max")
            ok([float(x) for x in g["values"].split()] == xs, f"{v} {name}: values in order")
    g = got[("pas-cpu", "dd_write")]
    ok(g["failed"] == "1" and g["planned"] == "5" and g["n"] == "4", "a failed repetition is counted, not averaged")
    rep = open(f"{d}/report.md").read()
    ok("## Workload results: emulated (QEMU TCG)" in rep, "results section with the time label")
    ok("**Emulated testbed (QEMU TCG):" in rep, "the older key time_label=emulated (...) gives the emulation banner")
    ok("| configuration \\ load | none | cpu | io |" in rep, "grid header: rows x columns in the run's order")
    ok("| paravirtual | " in rep and "| not run |" in rep, "a cell never run says so")
    ok("(n=4 of 5, 1 failed)" in rep, "a failed repetition is shown in its cell")
    ok("- load `none`, by mean: native " in rep, "ordering line per column")
    ok("## span.0: span (tsc - aux) of `hv_deliver`, emulated (QEMU TCG)" in rep, "measure headings labelled")
    js = json.load(open(f"{d}/summary.json"))
    ok(js["results"] and len(js["results"]["cells"]) == 16 and js["time_label"] == "emulated (QEMU TCG)",
       "summary.json results and time label")

    # 99 % intervals: --confidence
    r = run(prog, d, "--confidence", "0.99")
    with open(f"{d}/results.csv") as f:
        g = [row for row in csv.DictReader(f) if row["variant"] == "nat-none" and row["result"] == "dd_write"][0]
    xs = vals["nat-none"]["dd_write"]
    mean = sum(xs) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / 4)
    ok(abs(float(g["ci_hi"]) - mean - t_quant(0.995, 4) * sd / math.sqrt(5)) < 1e-7, "--confidence 0.99")

    # bad values stop the analyzer with the key named
    for bad, what in [("result.dd_write.2=1.5s", "result.dd_write.2"), ("result.7=bad name:s", "result"),
                      ("result.dd_write.reps=lots", "reps"), ("result.dd_write.1=nan", "result.dd_write.1"),
                      ("result.1=dd_write:s", "result.1: result 'dd_write' declared twice")]:
        m = f"{d}/nat-none/meta.txt"
        keep = open(m).read()
        with open(m, "a") as f:
            f.write(bad + "\n")
        r = run(prog, d)
        ok(r.returncode == 1 and what in r.stderr and "nat-none/meta.txt" in r.stderr,
           f"bad key '{bad}': exit {r.returncode}, {r.stderr.strip()[:120]}")
        open(m, "w").write(keep)

    # a run with results but no stamps at all: the results are still reported
    d2 = f"{w}/nostamps"
    write(f"{d2}/meta.txt", ["variants=a b", "grid.rows=x", "grid.cols=p q"])
    write(f"{d2}/a/meta.txt", ["grid.row=x", "grid.col=p", "result.0=dd_read:s", "result.dd_read.1=1.5",
                               "result.dd_read.2=1.7"])
    write(f"{d2}/b/meta.txt", ["grid.row=x", "grid.col=q", "status=failed: setup", "result.0=dd_read:s"])
    r = run(prog, d2)
    rep = open(f"{d2}/report.md").read() if os.path.exists(f"{d2}/report.md") else ""
    ok(r.returncode == 0 and "| x | 1.6 [" in rep and "no value (variant failed: setup)" in rep,
       f"results-only run: exit {r.returncode} {r.stderr.strip()[:200]}")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
