#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of `nt-hvcollect decode` against files written by gen-xentrace.py.
Usage: collector_check.py NT_HVCOLLECT WORKDIR [case...]
Cases: exact options binary stdin hz junk trunc (default: all)."""
import json
import os
import re
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen-xentrace.py")
PROG, WORK = sys.argv[1], sys.argv[2]
CASES = sys.argv[3:] or ["exact", "options", "binary", "stdin", "hz", "junk", "trunc", "real"]
failures = 0
checks = 0


def check(cond, what):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print("FAIL:", what)


def gen(name, *args):
    path = os.path.join(WORK, name)
    subprocess.run([sys.executable, GEN, path] + list(args), check=True)
    with open(path + ".json") as f:
        facts = json.load(f)
    with open(path + ".csv") as f:
        rows = f.read().splitlines()
    return path, facts, rows


def run(args, stdin=None):
    p = subprocess.run([PROG] + args, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def read_meta(path):
    m = {}
    with open(path) as f:
        for line in f:
            if "=" in line and not line.startswith("#"):
                k, v = line.rstrip("\n").split("=", 1)
                m[k] = v
    return m


def read_rows(path):
    with open(path) as f:
        return f.read().splitlines()


def stat_of(summary, label):
    """(n, min, median, p99, max) from a summary line, or None."""
    m = re.search(r"^\s+%s\s+n=(\d+)(?:\s+min (\S+)\s+median (\S+)\s+p99 (\S+)\s+max (\S+) cycles)?" %
                  re.escape(label), summary, re.M)
    if not m:
        return None
    if m.group(1) == "0":
        return (0,)
    return (int(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4)), float(m.group(5)))


def check_stats(summary, facts, label, key):
    got = stat_of(summary, label)
    exp = facts["stats"][key]
    check(got is not None, "summary has a '%s' line" % label)
    if got is None:
        return
    if exp["n"] == 0:
        check(got == (0,), "%s: no samples expected, got %s" % (label, got))
        return
    check(got[0] == exp["n"], "%s n %s == %s" % (label, got[0], exp["n"]))
    check(got[1] == exp["min"], "%s min %s == %s" % (label, got[1], exp["min"]))
    check(abs(got[2] - exp["median"]) <= 0.051, "%s median %s ~ %s" % (label, got[2], exp["median"]))
    check(abs(got[3] - exp["p99"]) <= 0.051, "%s p99 %s ~ %s" % (label, got[3], exp["p99"]))
    check(got[4] == exp["max"], "%s max %s == %s" % (label, got[4], exp["max"]))


def case_exact():
    trace, facts, rows = gen("base.xt", "--seed", "1", "--cpus", "4", "--events", "200")
    for strict in ([], ["--strict"]):
        out = os.path.join(WORK, "base.csv")
        rc, so, se = run(["decode"] + strict + ["-o", out, trace])
        check(rc == 0, "decode %s exit 0 (got %d: %s)" % (strict, rc, se.strip()))
        got = read_rows(out)
        check(got == rows, "decode %s output == expected (%d vs %d rows)" % (strict, len(got), len(rows)))
        if got != rows:
            for i, (a, b) in enumerate(zip(got, rows)):
                if a != b:
                    print("  first difference at row %d:\n   got %s\n   exp %s" % (i, a, b))
                    break
        m = read_meta(out + ".meta")
        for k, v in [("records_hv_entry", facts["entry"]), ("records_hv_deliver", facts["deliver"]),
                     ("records_hv_lost", facts["lost_recs"]), ("lost_trace_records", facts["lost"]),
                     ("skipped_events", facts["skipped"]), ("trace_records", facts["trace_records"]),
                     ("malformed_records", 0), ("anomalies", 0), ("mode", "offline"), ("source", "hv")]:
            check(m.get(k) == str(v), "meta %s=%s (got %s)" % (k, v, m.get(k)))
        for c in range(4):
            check(m.get("cpu%d.tsc_monotonic" % c) == "yes", "cpu%d monotonic" % c)
        check("truncated_at" not in m, "no truncation reported")
        check("tsc_hz" not in m, "no tsc_hz invented")
        check_stats(so, facts, "stock path", "stock")
        check_stats(so, facts, "natsume path", "natsume")
        check_stats(so, facts, "probe cost", "cost")
        # where the entry was stamped (stub + cycles to do_IRQ, late, or an older 6-word ENTRY)
        check_stats(so, facts, "stub to do_IRQ", "stub")
        for k, v in [("hv_entry_stub_stamped", facts["stats"]["stub"]["n"]), ("hv_entry_late", facts["entry_late"]),
                     ("hv_entry_without_stub", facts["entry_nostub"])]:
            check(m.get(k) == str(v), "meta %s=%s (got %s)" % (k, v, m.get(k)))
        check("frequency unknown" in so, "summary says the TSC frequency is unknown")
        # per-CPU table: wrap and no_tsc columns add up
        tab = re.findall(r"^\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+yes",
                         so, re.M)
        check(len(tab) == 4, "4 CPU rows in the summary")
        check(sum(int(t[7]) for t in tab) == facts["wrap"], "wrap records counted")
        check(sum(int(t[9]) for t in tab) == facts["nocycles"], "records without TSC counted")
        check(sum(int(t[5]) for t in tab) == facts["lost_recs"], "lost records counted")


def case_options():
    trace, facts, rows = gen("opt.xt", "--seed", "2", "--cpus", "3", "--events", "150", "--stock",
                             "--probe-cost")
    out = os.path.join(WORK, "opt.csv")
    rc, so, se = run(["decode", "--stock", "--probe-cost", "-o", out, trace])
    check(rc == 0, "decode --stock --probe-cost exit 0 (%s)" % se.strip())
    got = read_rows(out)
    check(got == rows, "--stock --probe-cost output == expected (%d vs %d rows)" % (len(got), len(rows)))
    check(any(r.endswith("trunc32") for r in got), "trunc32 records present")
    check_stats(so, facts, "irq_handled", "handled")
    m = read_meta(out + ".meta")
    check(m.get("records_probe_cost") == str(facts["stats"]["cost"]["n"]), "probe_cost records counted")


def case_binary():
    trace, facts, rows = gen("base.xt", "--seed", "1", "--cpus", "4", "--events", "200")
    out = os.path.join(WORK, "base.bin")
    rc, so, se = run(["decode", "-q", "-o", out, trace])
    check(rc == 0, "binary decode exit 0")
    check(so == "", "-q prints no summary")
    data = open(out, "rb").read()
    check(data[:8] == b"NTREC\r\n\x1a", "binary magic")
    check((len(data) - 32) % 40 == 0 and (len(data) - 32) // 40 == len(rows) - 1, "binary record count")
    src = {1: "hv"}
    ev = {4: "hv_entry", 5: "hv_deliver", 10: "lost", 11: "probe_cost"}
    conv = [rows[0]]
    for i in range(32, len(data), 40):
        tsc, seq, aux, irq, flags, vec, dom, cpu, s, e = struct.unpack("<QQQIIHHHBB", data[i:i + 40])
        f = lambda v, none: "" if v == none else str(v)
        conv.append("%s,%s,%s,%d,%s,%s,%s,%s,%s,%s" % (
            src.get(s, "?"), ev.get(e, "?"), f(cpu, 0xFFFF), tsc, f(irq, 0xFFFFFFFF), f(vec, 0xFFFF),
            f(seq, 2**64 - 1), f(dom, 0xFFFF), f(aux, 2**64 - 1),
            "|".join(n for b, n in [(1, "late"), (2, "natsume"), (16, "trunc32"), (32, "direct")] if flags & b)))
    check(conv == rows, "binary records == expected CSV rows")


def case_stdin():
    trace, facts, rows = gen("base.xt", "--seed", "1", "--cpus", "4", "--events", "200")
    with open(trace, "rb") as f:
        rc, so, se = run(["decode", "-"], stdin=f)
    check(rc == 0, "decode - exit 0")
    check(so.splitlines() == rows, "stdin to stdout output == expected")
    check("nt-hvcollect summary" in se, "summary on stderr when records go to stdout")


def case_hz():
    trace, facts, rows = gen("base.xt", "--seed", "1", "--cpus", "4", "--events", "200")
    out = os.path.join(WORK, "hz.csv")
    for args, meta_hz, hz in ((["--tsc-hz", "2GHz"], None, 2e9), ([], "2500000000", 2.5e9)):
        if meta_hz:
            with open(trace + ".meta", "w") as f:
                f.write("tsc_hz=%s\n" % meta_hz)
        rc, so, se = run(["decode"] + args + ["-o", out, trace])
        if meta_hz:
            os.unlink(trace + ".meta")
        check(rc == 0, "decode with a TSC frequency exit 0")
        exp = facts["stats"]["stock"]
        m = re.search(r"stock path .* max (\d+) cycles\s+=\s+min (\S+)\s+median (\S+)\s+p99 (\S+)\s+max (\S+) us",
                      so)
        check(m is not None, "summary prints us for the stock path (%s)" % args)
        if m:
            check(abs(float(m.group(2)) - exp["min"] * 1e6 / hz) < 0.0011, "min us")
            check(abs(float(m.group(5)) - exp["max"] * 1e6 / hz) < 0.0011, "max us")
        check("MHz" in so and ("%.3f MHz" % (hz / 1e6)) in so, "summary names the TSC MHz")
        check(read_meta(out + ".meta").get("tsc_hz") == "%.0f" % hz, "meta tsc_hz")


def case_junk():
    trace, facts, rows = gen("junk.xt", "--seed", "3", "--cpus", "2", "--events", "60", "--junk")
    out = os.path.join(WORK, "junk.csv")
    rc, so, se = run(["decode", "-o", out, trace])
    check(rc == 0, "lenient decode over junk exit 0")
    check(read_rows(out) == rows, "lenient: every record after the junk recovered")
    check("bytes skipped to find a window header: %d" % facts["junk_len"] in so, "resync bytes reported")
    check("byte %d" % facts["junk_at"] in se, "warning names the junk offset (%s)" % se.strip())
    m = read_meta(out + ".meta")
    check(m.get("anomalies") == "1", "one anomaly")
    rc, so, se = run(["decode", "--strict", "-o", out, trace])
    check(rc == 1, "strict decode over junk exit 1")
    check("byte %d" % facts["junk_at"] in se, "strict error names the offset")
    exp = [rows[0]] + [r for r, e in zip(rows[1:], facts["ends"]) if e <= facts["junk_at"]]
    check(read_rows(out) == exp, "strict: the records before the junk are written")


def case_trunc():
    trace, facts, rows = gen("tr.xt", "--seed", "4", "--cpus", "2", "--events", "40")
    data = open(trace, "rb").read()
    size = len(data)
    tail = int(os.environ.get("NT_TRUNC_TAIL", "320"))
    cut = os.path.join(WORK, "cut.xt")
    out = os.path.join(WORK, "cut.csv")
    bounds = set(facts["boundaries"])
    bad = 0
    for k in range(max(0, size - tail), size + 1):
        with open(cut, "wb") as f:
            f.write(data[:k])
        exp = [rows[0]] + [r for r, e in zip(rows[1:], facts["ends"]) if e <= k]
        truncated = k not in bounds
        for strict in (False, True):
            rc, so, se = run(["decode", "-q", "-o", out, cut] + (["--strict"] if strict else []))
            ok = read_rows(out) == exp
            ok &= rc == (1 if strict and truncated else 0)
            ok &= ("truncated" in se) == truncated
            m = read_meta(out + ".meta")
            ok &= ("truncated_at" in m) == truncated
            if truncated:
                ok &= "file truncated at byte %d" % k in se
            if not ok:
                bad += 1
                if bad < 5:
                    print("FAIL: cut at %d of %d (strict=%s): rc %d, %d rows vs %d expected, stderr: %s" % (
                        k, size, strict, rc, len(read_rows(out)), len(exp), se.strip()))
    check(bad == 0, "every cut of the last %d bytes decoded as expected (%d bad)" % (tail, bad))


def case_real():
    """A file that Debian's xentrace (Xen 4.17.7, QEMU TCG dom0) wrote with
    -e 0x00802000: stock TRC_HW_IRQ_HANDLED records and wrap padding."""
    trace = os.path.join(HERE, "data", "xentrace-4.17.7-irq.xt")
    data = open(trace, "rb").read()
    rows = ["source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"]
    off = wraps = 0
    while off < len(data):
        hdr, cpu, size = struct.unpack_from("<III", data, off)
        assert hdr == 0x2001F003
        i, end = off + 12, off + 12 + size
        while i < end:
            h = struct.unpack_from("<I", data, i)[0]
            ev, n, cyc = h & 0x0FFFFFFF, (h >> 28) & 7, h >> 31
            tsc = struct.unpack_from("<Q", data, i + 4)[0] if cyc else None
            x = struct.unpack_from("<%dI" % n, data, i + 4 + 8 * cyc)
            if ev == 0x00802008 and tsc is not None:
                w = (tsc & ~0xFFFFFFFF) | x[1]
                if w > tsc:
                    w -= 1 << 32
                rows.append("hv,hv_entry,%d,%d,%d,,,,,trunc32" % (cpu, w, x[0]))
            elif ev == 0x0001F002:
                wraps += 1
            i += 4 + 8 * cyc + 4 * n
        off = end
    out = os.path.join(WORK, "real.csv")
    rc, so, se = run(["decode", "--stock", "--strict", "-o", out, trace])
    check(rc == 0, "strict decode of a real xentrace file exit 0 (%s)" % se.strip())
    check(len(rows) > 100, "the real file has stock records")
    check(read_rows(out) == rows, "real file: records == independent decode (%d rows)" % len(rows))
    m = read_meta(out + ".meta")
    check(m.get("anomalies") == "0" and m.get("cpu0.tsc_monotonic") == "yes", "real file: clean, monotonic")
    tab = re.search(r"^\s+0\s+(\d+)\s+0\s+0\s+(\d+)\s+0\s+0\s+(\d+)\s", so, re.M)
    check(tab is not None and int(tab.group(3)) == wraps, "real file: %d wrap records counted" % wraps)
    rc, so, se = run(["decode", "-o", out, trace])
    check(rc == 0 and read_rows(out) == rows[:1], "without --stock nothing is converted")
    check("0x00802008(HW_IRQ_HANDLED) x%d" % (len(rows) - 1) in so, "and the stock records are counted as skipped")


for c in CASES:
    globals()["case_" + c]()
print("collector_check: %d checks, %d failed" % (checks, failures))
sys.exit(1 if failures or not checks else 0)
