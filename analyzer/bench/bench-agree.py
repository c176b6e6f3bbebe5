#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Do the tools of the analyzer benchmark agree?  Arguments: LABEL=FILE, each
FILE the output of one tool: nt-analyze stats --json, or one JSON line with
count, min, max, mean, stddev, median, p90, p99, p999, p9999 (DuckDB, numpy).
The first is the reference.  Exact-mode statistics must agree to 1e-9
relative (count, min, max exactly); a label with "streaming" in it is held to
the log-linear histogram's bound, 2^-8 relative, on the quantiles."""
import json
import sys

KEYS = ["count", "min", "max", "mean", "stddev", "median", "p90", "p99", "p999", "p9999"]


def load(path):
    with open(path) as f:
        d = json.loads(f.read().strip().splitlines()[-1])
    if "measures" in d:  # nt-analyze --json
        m = d["measures"][0]
        c = dict(m["cycles"], count=m["count"])
        c["p999"], c["p9999"] = c.pop("p99.9"), c.pop("p99.99")
        return c
    return d


def main():
    runs = [a.split("=", 1) for a in sys.argv[1:]]
    ref_label, ref = runs[0][0], load(runs[0][1])
    bad = 0
    for label, path in runs[1:]:
        try:
            got = load(path)
        except (OSError, ValueError, IndexError, KeyError) as e:
            print(f"  {label}: no result to compare ({e})")
            bad += 1
            continue
        worst = []
        for k in KEYS:
            a, b = float(ref[k]), float(got[k])
            tol = 0.0 if k in ("count", "min", "max") else 1e-9
            if "streaming" in label and k.startswith(("median", "p")):
                tol = 2.0 ** -8
            if abs(a - b) > tol * max(abs(a), 1.0):
                worst.append(f"{k} {b:.6g} vs {a:.6g}")
        print(f"  {label} vs {ref_label}: " + ("agree" if not worst else "DIFFER: " + ", ".join(worst)))
        bad += bool(worst)
    return 1 if bad else 0


sys.exit(main())
