#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Independent check of every statistic nt-analyze prints.

Generates sample sets (heavy tails, ties, one sample, two samples, values near
2^64, extreme spread), writes them as record files (send/rx_kernel pairs
joined by seq, so that latency = the sample exactly), runs
`nt-analyze stats --json`, and compares with an exact computation in Python
integers/fractions, the definitions of include/nt/stats.h: quantiles by linear
interpolation at the exact rank (n-1)q with q the decimal level (0.9 = 9/10),
the exact mean rounded to the nearest double, the sample standard deviation
within 2^-52; numpy is a second opinion where float64 is exact.  Streaming
mode: count, min, max and mean exact, the rest within its stated 2^-8.
Usage: check_stats.py NT_ANALYZE WORKDIR"""
import json
import math
import os
import random
import struct
import subprocess
import sys
from decimal import Decimal, getcontext
from fractions import Fraction

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check as ok, finish  # noqa: E402

getcontext().prec = 60
TOP = 2**64 - 1
# the levels as the decimals they are written as (Fraction("0.9") = 9/10, not
# the binary double nearest to 0.9)
QS = [("median", "0.5"), ("p90", "0.9"), ("p99", "0.99"), ("p99.9", "0.999"), ("p99.99", "0.9999")]
HZ = 2596130000


def exact_q(v, q):
    n = len(v)
    h = (n - 1) * Fraction(q)
    lo = math.floor(h)
    if lo + 1 >= n:
        return Fraction(v[n - 1])
    f = h - lo
    return v[lo] + f * (v[lo + 1] - v[lo])


def exact_stats(xs):
    v = sorted(xs)
    n = len(v)
    mean = Fraction(sum(v), n)
    st = {"count": n, "min": v[0], "max": v[-1], "mean": mean}
    if n > 1:
        var = sum((Fraction(x) - mean) ** 2 for x in v) / (n - 1)
        st["stddev"] = Decimal(var.numerator) / Decimal(var.denominator)
        st["stddev"] = float(st["stddev"].sqrt())
    else:
        st["stddev"] = 0.0
    for k, q in QS:
        st[k] = exact_q(v, q)
    return st


def write_csv(path, xs):
    with open(path, "w") as f:
        f.write("source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\n")
        for i, x in enumerate(xs):
            f.write(f"sender,send,0,0,,,{i},,,\nreceiver,rx_kernel,1,{x},,,{i},,,\n")
    with open(path + ".meta", "w") as f:
        f.write(f"tsc_hz={HZ}\ntsc_hz_method=test\n")


def write_bin(path, xs):
    with open(path, "wb") as f:
        f.write(b"NTREC\r\n\x1a" + struct.pack("<II", 1, 40) + b"\0" * 16)
        for i, x in enumerate(xs):
            f.write(struct.pack("<QQQIIHHHBB", 0, i, TOP, 2**32 - 1, 0, 0xffff, 0xffff, 0, 3, 1))
            f.write(struct.pack("<QQQIIHHHBB", x, i, TOP, 2**32 - 1, 0, 0xffff, 0xffff, 1, 4, 2))


def analyze(prog, files, *opts):
    cmd = [prog, "stats", "--json", "--latency", "send:rx_kernel", *opts, *files]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        ok(False, f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr}")
        return None
    return json.loads(r.stdout)["measures"][0]


def close(a, b, rel, absol=0.0):
    a, b = float(a), float(b)
    return abs(a - b) <= rel * abs(b) + absol


def check(name, prog, work, xs, streaming=False, extra=()):
    path = f"{work}/{name}.csv"
    write_csv(path, xs)
    # these files are not in time order (every send at tsc 0): in streaming
    # mode keep unmatched seq stamps for ever (the join is tested elsewhere)
    opts = list(extra) + (["--streaming", "--seq-horizon-s", "1e12"] if streaming else [])
    m = analyze(prog, [path], *opts)
    if m is None:
        return
    e = exact_stats(xs)
    c = m["cycles"]
    tag = f"{name}{' streaming' if streaming else ''}{' ' + ' '.join(extra) if extra else ''}"
    ok(m["count"] == e["count"], f"{tag}: count {m['count']} != {e['count']}")
    ok(c["min"] == e["min"], f"{tag}: min {c['min']} != {e['min']}")
    ok(c["max"] == e["max"], f"{tag}: max {c['max']} != {e['max']}")
    ok(m["join"]["matched"] == len(xs) and m["join"]["unmatched_from"] == 0, f"{tag}: join {m['join']}")
    mode_streaming = m["mode"] == "streaming"
    # the mean is the exact mean rounded to the nearest double, in both modes
    ok(c["mean"] == float(e["mean"]), f"{tag}: mean {c['mean']!r} != {float(e['mean'])!r}")
    ok(close(c["stddev"], e["stddev"], 1e-9 if mode_streaming else 2**-52, 1e-9 if mode_streaming else 0),
       f"{tag}: stddev {c['stddev']!r} != {e['stddev']!r}")
    for k, q in QS:
        want = e[k]
        if mode_streaming:
            good = abs(Fraction(c[k]) - want) <= Fraction(1, 256) * want + Fraction(1, 10**6) * want + 1
            ok(good, f"{tag}: {k} {c[k]!r} not within 2^-8 of {float(want)!r}")
        else:
            ok(c[k] == float(want), f"{tag}: {k} {c[k]!r} != {float(want)!r}")
    # microseconds: cycles / tsc_hz * 1e6
    if m["us"] is not None:
        ok(close(m["us"]["mean"], float(e["mean"]) / HZ * 1e6, 1e-9 if mode_streaming else 1e-15),
           f"{tag}: mean us {m['us']['mean']} wrong")
    # numpy as a second opinion where float64 holds the values exactly
    if not mode_streaming and max(xs) < 2**53:
        a = np.array(xs, dtype=np.float64)
        ok(close(c["mean"], a.mean(), 1e-12, 1e-9), f"{tag}: numpy mean {a.mean()} vs {c['mean']}")
        if len(xs) > 1:
            ok(close(c["stddev"], a.std(ddof=1), 1e-9, 1e-9), f"{tag}: numpy stddev {a.std(ddof=1)}")
        for k, q in QS:
            p = np.percentile(a, float(q) * 100)
            ok(close(c[k], p, 1e-12, 1e-6), f"{tag}: numpy {k} {p} vs {c[k]}")
    return m


def main():
    prog, work = sys.argv[1], sys.argv[2]
    rnd = random.Random(20261123)
    sets = {
        "heavy": [int(rnd.paretovariate(1.1) * 1000) for _ in range(20000)],
        "ties": [rnd.choice([5, 7, 7, 7, 9, 100]) for _ in range(5001)],
        "one": [123456789],
        "two": [10, 11],
        "zeros": [0] * 17,
        "near64": [TOP - rnd.randrange(1000) for _ in range(999)] + [TOP],
        "spread": [0, TOP, 1, TOP - 1, 2**63],
        "lognormal": [int(math.exp(rnd.gauss(11, 1.5))) for _ in range(100000)],
        # a huge value next to the rank: p90 = 1009 exactly (a floating-point
        # rank (n-1)q = 9 + 2^-52 gave 5105)
        "rankleak": list(range(1000, 1010)) + [2**64 - 2**24],
        # the exact mean rounds to 498035618982119424; long double two-pass
        # with a correction step gave the next double
        "mean41": [14119776214384983, 109784061374, 22, 127712, 3212292694, 32, 15681796, 17, 0,
                   10888487132816, 7, 13223514884222746753, 6612321890594664448, 233460105154413436,
                   32122845122, 119, 516660, 191, 27002398452739234, 11, 2100323418, 18, 1021,
                   26097430180309834, 54766, 25881927427231, 8, 449536634970394, 282233382092803825, 1097,
                   255277193231, 3027535966, 2422225561329, 215188321320724, 177867696599, 5994361904481,
                   15965071170, 23113312, 482, 312, 1050],
    }
    for name, xs in sets.items():
        check(name, prog, work, xs)
        check(name, prog, work, xs, streaming=True)
    # the exact set switches to streaming by itself above --sample-limit
    m = check("heavy", prog, work, sets["heavy"], extra=("--sample-limit", "1000"))
    ok(m is not None and m["mode"] == "streaming", "sample limit did not switch to streaming")
    # binary input gives the same figures as CSV
    write_bin(f"{work}/heavy.bin", sets["heavy"])
    a = analyze(prog, [f"{work}/heavy.csv"])
    b = analyze(prog, [f"{work}/heavy.bin"], "--tsc-hz", str(HZ))
    ok(a is not None and b is not None and a["cycles"] == b["cycles"] and a["join"] == b["join"],
       "binary and CSV disagree")
    # histogram: counts per bin of width 1000 and the overflow bin
    xs = sets["heavy"]
    r = subprocess.run([prog, "stats", "--json", "--latency", "send:rx_kernel", "--hist-bin", "1000",
                        "--hist-bins", "50", f"{work}/heavy.csv"], capture_output=True, text=True)
    ok(r.returncode == 0, f"histogram run failed: {r.stderr}")
    if r.returncode == 0:
        h = json.loads(r.stdout)["measures"][0]["histogram"]
        lo = min(xs) // 1000 * 1000
        want = [0] * 50
        over = 0
        for x in xs:
            b_ = (x - lo) // 1000
            if b_ >= 50:
                over += 1
            else:
                want[b_] += 1
        ok(h["lo"] == lo and h["width"] == 1000 and h["counts"] == want and h["overflow"] == over,
           f"histogram wrong: lo {h['lo']} overflow {h['overflow']} vs {over}")
        ok(sum(h["counts"]) + h["overflow"] == len(xs), "histogram loses samples")
    sys.exit(finish())


if __name__ == "__main__":
    main()
