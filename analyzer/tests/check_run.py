#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""`nt-analyze run` and `compare` on a synthetic run folder (gen_run.py):
figures rendered (files exist, sizes > 0, the kept .gp scripts re-run with
gnuplot), summary.csv/json against values computed here from the generated
latencies, the papers' improvement formula, the bootstrap interval against an
independent numpy bootstrap, reproducibility with a seed, the streaming mode
within its error bound, and a missing gnuplot reported as a failure.
Usage: check_run.py NT_ANALYZE WORKDIR"""
import csv
import json
import os
import shutil
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_run  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check as ok, finish  # noqa: E402


def run(cmd, env=None):
    return subprocess.run(cmd, capture_output=True, text=True, env=env)


def main():
    prog, work = sys.argv[1], sys.argv[2]
    d = os.path.join(work, "run")
    sys.argv = ["gen_run.py", d, "1500", "11"]
    truth = gen_run.main()
    r = run([prog, "run", d])
    ok(r.returncode == 0, f"run failed: {r.returncode} {r.stderr}")
    for f in ("summary.csv", "summary.json", "report.md"):
        p = os.path.join(d, f)
        ok(os.path.isfile(p) and os.path.getsize(p) > 0, f"{f} missing or empty")
    # every figure: .gp .dat .png .pdf, non-empty
    variants = ["xen", "natsume-cpu", "natsume-vector", "natsume-all"]
    names = ["latency0-bars", "latency1-bars", "latency0-ccdf", "latency1-ccdf", "period0-ccdf"]
    names += [f"{m}-hist-{v}" for m in ("latency0", "latency1", "period0") for v in variants]
    pd = os.path.join(d, "plots")
    for nm in names:
        for ext in ("gp", "dat", "png", "pdf"):
            p = os.path.join(pd, f"{nm}.{ext}")
            ok(os.path.isfile(p) and os.path.getsize(p) > 0, f"plot file {nm}.{ext} missing or empty")
    with open(os.path.join(pd, "latency0-bars.png"), "rb") as f:
        ok(f.read(8) == b"\x89PNG\r\n\x1a\n", "bars figure is not a PNG")
    with open(os.path.join(pd, "latency0-bars.pdf"), "rb") as f:
        ok(f.read(5) == b"%PDF-", "bars figure is not a PDF")
    # the kept script re-renders by itself
    os.unlink(os.path.join(pd, "latency0-ccdf.png"))
    g = subprocess.run(["gnuplot", "latency0-ccdf.gp"], cwd=pd, capture_output=True, text=True)
    ok(g.returncode == 0 and os.path.getsize(os.path.join(pd, "latency0-ccdf.png")) > 0,
       f"gnuplot latency0-ccdf.gp: {g.returncode} {g.stderr}")
    # histogram data: counts + overflow = all samples
    for v in variants:
        counts, over = 0, None
        with open(os.path.join(pd, f"latency0-hist-{v}.dat")) as f:
            for line in f:
                if line.startswith("# overflow"):
                    over = int(line.rsplit(":", 1)[1])
                elif not line.startswith("#"):
                    counts += int(line.split()[2])
        ok(over is not None and counts + over == len(truth[v][0]), f"{v}: histogram holds {counts}+{over}")

    s = json.load(open(os.path.join(d, "summary.json")))
    ok(s["tsc_hz"] == gen_run.HZ and "meta.txt" in s["tsc_hz_source"], "TSC Hz or its source missing")
    byname = {v["name"]: v for v in s["variants"]}
    ok([v["name"] for v in s["variants"]] == variants, "variants not in the meta.txt order")
    for v in variants:
        lat0, lat1, per = truth[v]
        for mi, data in enumerate((lat0, lat1, per)):
            m = byname[v]["measures"][mi]
            a = np.array(sorted(data), dtype=np.float64)
            c = m["cycles"]
            ok(m["count"] == len(a), f"{v} {m['name']}: count {m['count']} != {len(a)}")
            ok(c["min"] == a[0] and c["max"] == a[-1], f"{v} {m['name']}: min/max")
            ok(abs(c["mean"] - a.mean()) <= 1e-9 * a.mean(), f"{v} {m['name']}: mean")
            ok(abs(c["stddev"] - a.std(ddof=1)) <= 1e-9 * a.std(ddof=1), f"{v} {m['name']}: stddev")
            for k, q in (("median", 50), ("p99", 99), ("p99.9", 99.9)):
                ok(abs(c[k] - np.percentile(a, q)) <= 1e-9 * c[k] + 1e-6, f"{v} {m['name']}: {k}")
            ok(abs(m["us"]["mean"] - a.mean() / gen_run.HZ * 1e6) < 1e-9, f"{v} {m['name']}: us")
        j = byname[v]["measures"][0]["join"]
        # gen_run: every 100th packet lost (i % 100 == 7), a duplicate every 250
        ok(j["unmatched_from"] == 15 and j["dup_to"] == 6 and j["unmatched_to"] == 0,
           f"{v}: join counts {j}")
        ok(byname[v]["stall_windows"] == 3 and j["stalled"] == 3, f"{v}: stalls {j['stalled']}")
    # summary.csv agrees with the JSON
    rows = list(csv.DictReader(open(os.path.join(d, "summary.csv"))))
    ok(len(rows) == 12, f"summary.csv has {len(rows)} rows")
    for row in rows:
        m = [x for x in byname[row["variant"]]["measures"] if x["name"] == row["measure"]][0]
        ok(int(row["count"]) == m["count"] and int(row["max_cycles"]) == m["cycles"]["max"] and
           abs(float(row["p99_us"]) - m["us"]["p99"]) < 1e-5, f"summary.csv row {row['variant']} {row['measure']}")

    # comparison: the papers' formula and the bootstrap
    cmp_ = s["comparison"]
    ok(cmp_["baseline"] == "xen", "baseline is not the meta.txt one")
    base = byname["xen"]["measures"][0]["cycles"]
    for e in cmp_["measures"][0]["variants"]:
        vc = byname[e["variant"]]["measures"][0]["cycles"]
        for k in ("max", "min", "mean"):
            want = (base[k] - vc[k]) / base[k] * 100
            ok(abs(e["improvement_pct"][k] - want) < 1e-9, f"{e['variant']}: improvement {k}")
        med = e["median_diff"]
        ok(med["resamples"] == 2000 and med["confidence"] == 0.95, "bootstrap parameters not stated")
        # an independent percentile bootstrap with numpy: endpoints agree within
        # a quarter of the interval width (Monte Carlo noise of 2000 resamples)
        b = np.array(truth["xen"][0], dtype=np.float64)
        x = np.array(truth[e["variant"]][0], dtype=np.float64)
        rng = np.random.default_rng(5)
        diffs = [np.median(rng.choice(x, len(x))) - np.median(rng.choice(b, len(b))) for _ in range(2000)]
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        wdt = max(hi - lo, 1.0)
        ok(abs(med["lo_cycles"] - lo) < 0.25 * wdt and abs(med["hi_cycles"] - hi) < 0.25 * wdt,
           f"{e['variant']}: bootstrap [{med['lo_cycles']}, {med['hi_cycles']}] vs numpy [{lo}, {hi}]")
        ok(abs(med["diff_cycles"] - (np.median(x) - np.median(b))) < 1e-6, "median difference")

    # compare: same seed, same output; another seed, another interval
    c1 = run([prog, "compare", "--json", "--seed", "42", "--resamples", "500", d])
    c2 = run([prog, "compare", "--json", "--seed", "42", "--resamples", "500", d])
    c3 = run([prog, "compare", "--json", "--seed", "43", "--resamples", "500", d])
    ok(c1.returncode == 0 and c1.stdout == c2.stdout, "compare is not reproducible with a seed")
    ok(c1.stdout != c3.stdout, "compare ignores the seed")
    # the same numbers on any number of threads (the bootstrap draws each
    # resample from its own stream; the sort and the read-ahead are exact)
    for th in ("1", "2", "3"):
        c = run([prog, "compare", "--json", "--seed", "42", "--resamples", "500", "--threads", th, d])
        ok(c.returncode == 0 and c.stdout == c1.stdout, f"compare --threads {th} differs from the default")
    t = run([prog, "compare", "--resamples", "200", "--baseline", "natsume-all", d])
    ok(t.returncode == 0 and "over the baseline `natsume-all`" in t.stdout, "compare --baseline")
    # compare two variant folders given directly
    t = run([prog, "compare", "--json", "--resamples", "200", os.path.join(d, "xen"), os.path.join(d, "natsume-all")])
    ok(t.returncode == 0 and json.loads(t.stdout)["baseline"] == "xen", f"compare dirs: {t.stderr}")

    # streaming: the same run within the stated error
    d2 = os.path.join(work, "run-stream")
    shutil.copytree(d, d2, ignore=shutil.ignore_patterns("plots", "summary.*", "report.md"))
    r = run([prog, "run", "--streaming", d2])
    ok(r.returncode == 0, f"streaming run failed: {r.stderr}")
    s2 = json.load(open(os.path.join(d2, "summary.json")))
    for v1, v2 in zip(s["variants"], s2["variants"]):
        for m1, m2 in zip(v1["measures"], v2["measures"]):
            ok(m2["mode"] == "streaming" and m1["count"] == m2["count"] and m1["join"] == m2["join"],
               f"streaming {v1['name']} {m1['name']}: counts")
            for k in ("median", "p90", "p99", "p99.9"):
                e1, e2 = m1["cycles"][k], m2["cycles"][k]
                ok(abs(e1 - e2) <= e1 / 256 + 1, f"streaming {v1['name']} {m1['name']} {k}: {e2} vs {e1}")
    rep = open(os.path.join(d2, "report.md")).read()
    ok("relative error" in rep and "none (streaming" in rep, "streaming report does not say so")

    # no gnuplot: the analyzer says so and fails
    d3 = os.path.join(work, "run-nognuplot")
    shutil.copytree(d, d3, ignore=shutil.ignore_patterns("plots", "summary.*", "report.md"))
    r = run([prog, "run", d3], env={**os.environ, "PATH": "/nonexistent"})
    ok(r.returncode == 1 and "gnuplot" in r.stderr, f"missing gnuplot not reported: {r.returncode}")
    rep3 = open(os.path.join(d3, "report.md")).read()
    ok("NOT rendered" in rep3, "report hides unrendered figures")
    # one variant's emulated=WHAT: ... (docs/run-layout.md "Emulated times"): the banner, every heading, every
    # figure title and summary.json say so; the run without the key says nothing
    ok("Emulated testbed" not in rep3 and "emulated" not in open(os.path.join(d3, "plots", "latency0-ccdf.gp")).read(),
       "a run on hardware is labelled emulated")
    with open(os.path.join(d3, "natsume-cpu", "meta.txt"), "a") as f:
        f.write("emulated=QEMU TCG: every time is emulated\n")
    run([prog, "run", d3], env={**os.environ, "PATH": "/nonexistent"})
    rep3 = open(os.path.join(d3, "report.md")).read()
    ok("**Emulated testbed (QEMU TCG):" in rep3 and "- times: emulated (QEMU TCG) (every table" in rep3,
       "emulated run: banner and times line")
    heads = [x for x in rep3.splitlines() if x.startswith("## latency") or x.startswith("## period")]
    ok(heads and all(x.endswith(", emulated (QEMU TCG)") for x in heads), f"emulated run: headings {heads}")
    ok("In TSC cycles (emulated, QEMU TCG):" in rep3, "emulated run: tables")
    gps = [x for x in os.listdir(os.path.join(d3, "plots")) if x.endswith(".gp")]
    ok(gps and all("[emulated (QEMU TCG)]" in open(os.path.join(d3, "plots", x)).read() for x in gps),
       "emulated run: every figure title")
    ok(json.load(open(os.path.join(d3, "summary.json")))["time_label"] == "emulated (QEMU TCG)",
       "emulated run: summary.json time_label")

    rep = open(os.path.join(d, "report.md")).read()
    for want in ("TSC: 2596130000 Hz", "tsc_hz_method=synthetic", "unmatched FROM 15", "stall windows 3",
                 "### Comparison", "plots/latency0-bars.png", "p99.99"):
        ok(want in rep, f"report.md lacks '{want}'")
    sys.exit(finish())


if __name__ == "__main__":
    main()
