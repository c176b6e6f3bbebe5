#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The numpy peer of the analyzer benchmark: the same statistics of latency
send:rx_kernel from the same record CSV (join by seq, then count, min, max,
mean, stddev, median, p90, p99, p99.9, p99.99; numpy's default quantile
definition is the analyzer's).  Prints one JSON line (bench-agree.py)."""
import json
import sys

import numpy as np

path = sys.argv[1]
d = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 3, 6),
               dtype=[("ev", "U12"), ("tsc", "u8"), ("seq", "u8")])
s = d[d["ev"] == "send"]
r = d[d["ev"] == "rx_kernel"]
_, i, j = np.intersect1d(s["seq"], r["seq"], assume_unique=False, return_indices=True)
lat = (r["tsc"][j] - s["tsc"][i]).astype(np.int64)
q = np.percentile(lat, [50, 90, 99, 99.9, 99.99])
print(json.dumps({"tool": "numpy", "count": int(lat.size), "min": int(lat.min()), "max": int(lat.max()),
                  "mean": float(lat.mean(dtype=np.float64)), "stddev": float(lat.std(ddof=1, dtype=np.float64)),
                  "median": q[0], "p90": q[1], "p99": q[2], "p999": q[3], "p9999": q[4]}))
