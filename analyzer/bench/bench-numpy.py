#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The numpy peer of the analyzer benchmark: the same statistics of
latency send:rx_kernel from the same record CSV (join by seq, then count,
min, max, mean, stddev, median, p90, p99, p99.9, p99.99; numpy's default
quantile definition is the analyzer's).  Prints one line of results."""
import sys

import numpy as np

path = sys.argv[1]
d = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 3, 6),
               dtype=[("ev", "U12"), ("tsc", "u8"), ("seq", "u8")])
s = d[d["ev"] == "send"]
r = d[d["ev"] == "rx_kernel"]
_, i, j = np.intersect1d(s["seq"], r["seq"], assume_unique=False, return_indices=True)
lat = (r["tsc"][j] - s["tsc"][i]).astype(np.float64)
q = np.percentile(lat, [50, 90, 99, 99.9, 99.99])
print(f"numpy: count {lat.size} min {lat.min():.0f} max {lat.max():.0f} mean {lat.mean():.3f} "
      f"stddev {lat.std(ddof=1):.3f} median {q[0]:.1f} p90 {q[1]:.1f} p99 {q[2]:.1f} p99.9 {q[3]:.1f} "
      f"p99.99 {q[4]:.1f} (cycles)")
