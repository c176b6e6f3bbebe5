#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write a synthetic trace file in the format xentrace writes, and what
nt-hvcollect must make of it.

The file is a sequence of windows {u32 0x2001f003, u32 cpu, u32 size} + size
bytes of raw Xen trace records (u32 {event:28, extra:3, cycles:1}, [u32 tsc_lo,
tsc_hi], extra x u32), little endian.  The windows of several CPUs are
interleaved, and the streams hold: Natsume ENTRY / DELIVER / CONFIG records
(hv-probe/include/natsume_trace.h; ENTRY of the three kinds: stamped in the
entry stub with d6, stamped late in do_IRQ, and the 6-word form of a series
without the stub stamp), stock TRC_HW_IRQ_HANDLED records with
32-bit stamps (some across a 2^32 boundary of the header TSC),
TRC_TRACE_WRAP_BUFFER padding (with and without cycles), TRC_LOST_RECORDS,
records without a TSC, and events the collector does not convert.

This is an independent implementation of the format (it shares no code with
the decoder).  Outputs:
  TRACE          the trace file
  TRACE.csv      the exact CSV nt-hvcollect writes for it (options as given)
  TRACE.json     facts for the checks: record end offsets, window boundaries,
                 expected counts and interval statistics
"""
import argparse
import json
import random
import struct

TRC_LOST_RECORDS = 0x0001F001
TRC_TRACE_WRAP_BUFFER = 0x0001F002
TRC_TRACE_CPU_CHANGE = 0x0001F003
ENTRY, DELIVER, CONFIG = 0x00804001, 0x00804002, 0x00804003
HANDLED = 0x00802008
F_NATSUME, F_GUEST, F_PV, F_DIRECT, F_LATE = 0x1, 0x2, 0x4, 0x10, 0x20
UNKNOWN_EVENTS = [0x00802003, 0x00802006, 0x0002F001, 0x00084001, 0x0010F003]


def rec(ev, extra, tsc=None):
    assert len(extra) <= 7
    hdr = ev | (len(extra) << 28) | ((1 << 31) if tsc is not None else 0)
    b = struct.pack("<I", hdr)
    if tsc is not None:
        b += struct.pack("<II", tsc & 0xFFFFFFFF, tsc >> 32)
    return b + struct.pack("<%dI" % len(extra), *extra)


def wrap_rec(rng, tsc):
    """Padding as Xen writes it at the end of the ring: 4..36 bytes (with a
    TSC when 7 data words are not enough)."""
    space = rng.choice(range(4, 40, 4))
    n = (space - 4) // 4
    if n > 7:
        return rec(TRC_TRACE_WRAP_BUFFER, [0] * (n - 2), tsc=tsc)
    return rec(TRC_TRACE_WRAP_BUFFER, [0xDEADBEEF] * n)


def quantile7(v, q):
    v = sorted(v)
    h = (len(v) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (h - lo) * (v[hi] - v[lo])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cpus", type=int, default=4)
    ap.add_argument("--events", type=int, default=200, help="interrupts per CPU")
    ap.add_argument("--stock", action="store_true", help="expect --stock output")
    ap.add_argument("--probe-cost", action="store_true", help="expect --probe-cost output")
    ap.add_argument("--junk", action="store_true", help="garbage between two windows")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    streams = {}  # cpu -> list of (bytes, [csv rows])
    facts = {"entry": 0, "deliver": 0, "lost_recs": 0, "lost": 0, "wrap": 0, "skipped": 0,
             "nocycles": 0, "stock": 0, "config": 0, "trace_records": 0,
             "ival": {"stock": [], "natsume": []}, "cost": [], "handled": [], "stub": [],
             "entry_late": 0, "entry_nostub": 0}
    for cpu in range(args.cpus):
        items = []
        # header TSC: start just below a 2^32 boundary on odd CPUs
        t = (cpu + 1) << 33
        if cpu % 2:
            t -= rng.randrange(1000, 200000)
        for i in range(args.events):
            t += rng.randrange(2000, 50000)
            irq = rng.choice([16, 17, 24, 40, 0xFFFFFFFF])
            vec = rng.choice([0x31, 0x49, 0xF1])
            dom = rng.choice([0, 1, 2, 0x7FF2])
            nat = rng.random() < 0.4
            direct = nat and rng.random() < 0.5
            fl = (F_NATSUME if nat else 0) | (F_DIRECT if direct else 0) | F_GUEST | F_PV
            nflags = "natsume|direct" if direct else "natsume" if nat else ""
            ent = t
            notify = ent + rng.randrange(50, 5000)
            # DELIVER written after notify
            t = notify + rng.randrange(100, 400)
            carried = rng.random() < 0.9
            d = [notify & 0xFFFFFFFF, notify >> 32,
                 (ent & 0xFFFFFFFF) if carried else 0, (ent >> 32) if carried else 0,
                 irq, (vec << 16) | dom, fl]
            row = "hv,hv_deliver,%d,%d,%s,%d,,%s,%s,%s" % (
                cpu, notify, "" if irq == 0xFFFFFFFF else irq, vec,
                "" if dom == 0xFFFF else dom, ent if carried else "", nflags)
            items.append((rec(DELIVER, d, tsc=t), [row]))
            facts["deliver"] += 1
            if carried:
                facts["ival"]["natsume" if nat else "stock"].append(notify - ent)
            # ENTRY written at the end of do_IRQ
            t += rng.randrange(100, 400)
            cost = rng.choice([0, rng.randrange(80, 3000)])
            with_tsc = rng.random() > 0.05
            e = [ent & 0xFFFFFFFF, ent >> 32, vec, irq, fl, cost]
            kind = rng.random()
            aux, late = "", False
            if kind < 0.15:    # series without the stub stamp: 6 words
                facts["entry_nostub"] += 1
            elif kind < 0.25:  # stamped late, in do_IRQ
                e[4] |= F_LATE
                e.append(0)
                late = True
                facts["entry_late"] += 1
            else:              # stamped in the entry stub; d6 = stub -> do_IRQ
                stub = rng.randrange(40, 6000)
                e.append(stub)
                aux = stub
                facts["stub"].append(stub)
            rows = ["hv,hv_entry,%d,%d,%s,%d,,,%s,%s" % (
                cpu, ent, "" if irq == 0xFFFFFFFF else irq, vec, aux,
                "|".join(w for w, on in (("late", late), ("natsume", nat), ("direct", direct)) if on))]
            if cost:
                facts["cost"].append(cost)
                if args.probe_cost:
                    rows.append("hv,probe_cost,%d,%d,,,,,%d," % (cpu, t if with_tsc else ent, cost))
            items.append((rec(ENTRY, e, tsc=t if with_tsc else None), rows))
            facts["entry"] += 1
            if not with_tsc:
                facts["nocycles"] += 1
            # the stock record around do_IRQ_guest (32-bit stamps)
            if rng.random() < 0.5:
                tin = ent + rng.randrange(10, 60)
                tout = tin + rng.randrange(100, 3000)
                t = max(t, tout) + rng.randrange(10, 100)
                h = [irq, tin & 0xFFFFFFFF, tout & 0xFFFFFFFF]
                if rng.random() < 0.9:
                    rows = ["hv,hv_entry,%d,%d,%s,,,,,trunc32" % (
                        cpu, tin, "" if irq == 0xFFFFFFFF else irq)] if args.stock else []
                    items.append((rec(HANDLED, h, tsc=t), rows))
                    if args.stock:
                        facts["stock"] += 1
                        facts["handled"].append(tout - tin)
                    else:
                        facts["skipped"] += 1
                else:
                    items.append((rec(HANDLED, h), []))  # no TSC: cannot be widened
                    facts["nocycles"] += 1
                    if not args.stock:
                        facts["skipped"] += 1
            r = rng.random()
            if r < 0.05:
                t += rng.randrange(10, 100)
                n = rng.randrange(1, 100000)
                first = t - rng.randrange(1000, 9000)
                items.append((rec(TRC_LOST_RECORDS, [n, (1 << 16) | 0, first & 0xFFFFFFFF, first >> 32],
                                  tsc=t), ["hv,lost,%d,%d,,,,,%d," % (cpu, t, n)]))
                facts["lost_recs"] += 1
                facts["lost"] += n
            elif r < 0.15:
                ev = rng.choice(UNKNOWN_EVENTS)
                n = rng.randrange(0, 8)
                x = [rng.randrange(0, 1 << 32) for _ in range(n)]
                if rng.random() < 0.5:
                    t += rng.randrange(10, 100)
                    items.append((rec(ev, x, tsc=t), []))
                else:
                    items.append((rec(ev, x), []))
                    facts["nocycles"] += 1
                facts["skipped"] += 1
            elif r < 0.17:
                t += 10
                items.append((rec(CONFIG, [(0 << 16) | (0 << 8) | (9 << 3) | 0, cpu, 0xF1, 2], tsc=t), []))
                facts["config"] += 1
        streams[cpu] = items

    # windows: runs of 1..12 records of one CPU, a wrap record now and then
    out = bytearray()
    csv = []
    ends = []          # byte offset where each expected row's record ends
    boundaries = [0]   # offsets where a window ends (a cut there is invisible)
    pos = {c: 0 for c in streams}
    last_tsc = {c: 0 for c in streams}
    junk_done = not args.junk
    while any(pos[c] < len(streams[c]) for c in streams):
        cpu = rng.choice([c for c in streams if pos[c] < len(streams[c])])
        k = rng.randrange(1, 13)
        chunk = streams[cpu][pos[cpu]:pos[cpu] + k]
        pos[cpu] += len(chunk)
        body = bytearray()
        rows = []
        for j, (b, rr) in enumerate(chunk):
            if rng.random() < 0.08:
                w = wrap_rec(rng, last_tsc[cpu])
                body += w
                facts["wrap"] += 1
                facts["trace_records"] += 1
                if w[3] & 0x80 == 0:
                    facts["nocycles"] += 1
            body += b
            if b[3] & 0x80:
                last_tsc[cpu] = struct.unpack("<Q", b[4:12])[0]
            facts["trace_records"] += 1
            for row in rr:
                rows.append((row, len(body)))
        start = len(out)
        out += struct.pack("<III", TRC_TRACE_CPU_CHANGE | (2 << 28), cpu, len(body))
        out += body
        for row, e in rows:
            csv.append(row)
            ends.append(start + 12 + e)
        boundaries.append(len(out))
        if not junk_done and len(out) > 2000:
            junk_done = True
            facts["junk_at"] = len(out)
            junk = struct.pack("<III", TRC_TRACE_CPU_CHANGE | (2 << 28), 99999, 8)
            junk += bytes(rng.randrange(1, 256) for _ in range(4 * rng.randrange(3, 20)))
            facts["junk_len"] = len(junk)
            out += junk
            boundaries.append(len(out))

    with open(args.trace, "wb") as f:
        f.write(out)
    with open(args.trace + ".csv", "w") as f:
        f.write("source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\n")
        for row in csv:
            f.write(row + "\n")
    st = {}
    for name, v in list(facts["ival"].items()) + [("cost", facts["cost"]), ("handled", facts["handled"]),
                                                  ("stub", facts["stub"])]:
        if v:
            st[name] = {"n": len(v), "min": min(v), "max": max(v), "median": quantile7(v, 0.5),
                        "p99": quantile7(v, 0.99)}
        else:
            st[name] = {"n": 0}
    facts["stats"] = st
    del facts["ival"], facts["cost"], facts["handled"], facts["stub"]
    facts["size"] = len(out)
    facts["ends"] = ends
    facts["boundaries"] = boundaries
    with open(args.trace + ".json", "w") as f:
        json.dump(facts, f)


if __name__ == "__main__":
    main()
