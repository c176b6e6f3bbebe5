#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The join on crafted streams: losses, duplicates, TO before FROM, several
FROMs closed by one TO (shared_to), TOs with no FROM waiting, the window
boundary, irq matching, files split and out of order, the streaming seq
horizon, per-CPU periods and stall windows.  The rule for stamps without a
common seq is the one of docs/run-layout.md: each FROM takes the first TO
after it (matching irq, within the window); one TO closes every FROM waiting.
Every expected count is worked out by hand in the comments.
Usage: check_join.py NT_ANALYZE WORKDIR"""
import json
import os
import random
import subprocess
import sys

HDR = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags\n"
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check as ok, finish  # noqa: E402


def write(path, rows):
    with open(path, "w") as f:
        f.write(HDR + "".join(r + "\n" for r in rows))


def stats(prog, files, *opts):
    cmd = [prog, "stats", "--json", *opts, *files]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        ok(False, f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr}")
        return None
    return json.loads(r.stdout)


def expect(tag, v, want_join, want):
    if v is None:
        return
    m = v["measures"][0]
    for k, x in want_join.items():
        ok(m["join"].get(k) == x, f"{tag}: join {k} = {m['join'].get(k)}, want {x}")
    for k, x in want.items():
        got = m["count"] if k == "count" else m["cycles"][k]
        ok(got is not None and abs(got - x) < 1e-9, f"{tag}: {k} = {got}, want {x}")


def main():
    prog, w = sys.argv[1], sys.argv[2]
    W = ["--join-window-cycles", "1000"]

    # A. by seq.  sends 0..9 at 100+1000i, a second send of seq 3 (dup FROM);
    # receives: 0 (+50), 2 (+60, then again: dup TO), 3 (+70 from the first
    # send), 4 before its send (negative), 5 (+80), 6 (+90), 99 (no send);
    # lost: 1, 7, 8, 9.
    send = [f"sender,send,0,{100 + 1000 * i},,,{i},,," for i in range(10)]
    send.insert(4, "sender,send,0,3150,,,3,,,")
    rx = ["receiver,rx_kernel,1,150,,,0,,,converted", "receiver,rx_kernel,1,2160,,,2,,,",
          "receiver,rx_kernel,1,2170,,,2,,,", "receiver,rx_kernel,1,3170,,,3,,,",
          "receiver,rx_kernel,1,4050,,,4,,,", "receiver,rx_kernel,1,5180,,,5,,,",
          "receiver,rx_kernel,1,6190,,,6,,,", "receiver,rx_kernel,1,9999,,,99,,,"]
    write(f"{w}/a-send.csv", send)
    write(f"{w}/a-rx.csv", rx)
    wantA = dict(from_seen=11, to_seen=8, matched=5, by_seq=6, by_nearest=0, unmatched_from=4,
                 unmatched_to=1, shared_to=0, dup_from=1, dup_to=1, negative=1)
    statA = dict(count=5, min=50, max=90, mean=70, median=70)
    files = [f"{w}/a-send.csv", f"{w}/a-rx.csv"]
    for mode in ([], ["--streaming"]):
        expect(f"A{mode}", stats(prog, files, "--latency", "send:rx_kernel", *W, *mode), wantA, statA)
    # the same in one file, rows shuffled: in memory the file is sorted by tsc
    rows = send + rx
    random.Random(3).shuffle(rows)
    write(f"{w}/a-mixed.csv", rows)
    v = stats(prog, [f"{w}/a-mixed.csv"], "--latency", "send:rx_kernel", *W)
    expect("A shuffled", v, wantA, statA)
    ok(v is not None and v["out_of_order"] == 0, "in-memory reader reports out-of-order records after sorting")
    v = stats(prog, [f"{w}/a-mixed.csv"], "--latency", "send:rx_kernel", *W, "--streaming")
    ok(v is not None and v["out_of_order"] > 0, "streaming reader does not count out-of-order records")

    # B. each FROM takes the first TO after it, window 1000 cycles:
    #  10000 e40 -> 10300 g40: 300
    #  11000 e41, 11100 e40 -> 11400 g40: 300;  11500 g41 <- 11000: 500
    #  12000 e40, 12100 e40 -> 12150 g40: 150 and 50 (one TO, two FROMs: shared_to 1)
    #  13000 e40, no TO within 1000: unmatched FROM; 15000 g40: unmatched TO
    #  16000 e(no irq) -> 16200 g7: 200 (any irq)
    #  17000 e40, 18001 g40: 1001 > window: unmatched FROM and TO
    #  20000 e40 -> 21000 g40: exactly the window: 1000
    hv = [(10000, 40), (11000, 41), (11100, 40), (12000, 40), (12100, 40), (13000, 40), (16000, None),
          (17000, 40), (20000, 40)]
    gi = [(10300, 40), (11400, 40), (11500, 41), (12150, 40), (15000, 40), (16200, 7), (18001, 40),
          (21000, 40)]
    write(f"{w}/b-hv.csv", [f"hv,hv_entry,0,{t},{'' if q is None else q},241,,,," for t, q in hv])
    write(f"{w}/b-guest.csv", [f"guest,guest_irq,1,{t},{q},,,,," for t, q in gi])
    wantB = dict(from_seen=9, to_seen=8, matched=7, by_nearest=7, by_seq=0, shared_to=1, unmatched_from=2,
                 unmatched_to=2, negative=0)
    statB = dict(count=7, min=50, max=1000, mean=2500 / 7)
    for mode in ([], ["--streaming"]):
        expect(f"B{mode}", stats(prog, [f"{w}/b-hv.csv", f"{w}/b-guest.csv"], "--latency", "hv_entry:guest_irq",
                                 *W, *mode), wantB, statB)
    # the window in us, with the TSC frequency from a .meta file: 1 MHz, 1000 us = 1000 cycles
    with open(f"{w}/b-hv.csv.meta", "w") as f:
        f.write("tsc_hz=1000000\n")
    expect("B us", stats(prog, [f"{w}/b-hv.csv", f"{w}/b-guest.csv"], "--latency", "hv_entry:guest_irq",
                         "--join-window-us", "1000"), wantB, statB)

    # C. a shared line (hv_entry -> guest_irq): three interrupts arrive before
    # the guest's handler runs once; handler runs with no interrupt waiting
    # (another device on the line, a poll) are unmatched TOs, not samples; a
    # guest stamp tied to a packet (seq) closes FROMs without a seq.
    #  30000, 30100, 30150 e40 -> 30400 g40: 400, 300, 250 (shared_to 2);
    #  30500 g40: unmatched;  31000 e40 -> 31050 g40: 50;  31060 g40: unmatched;
    #  32000 e40 -> 32100 g40 seq 7: 100
    # (the nearest preceding FROM for each TO would keep only 250 of the first
    # three and drop the older, longer waits: a tail cut off under load)
    hv = [30000, 30100, 30150, 31000, 32000]
    gi = [(30400, ""), (30500, ""), (31050, ""), (31060, ""), (32100, "7")]
    write(f"{w}/c-hv.csv", [f"hv,hv_entry,0,{t},40,241,,,," for t in hv])
    write(f"{w}/c-guest.csv", [f"guest,guest_irq,1,{t},40,,{q},,," for t, q in gi])
    wantC = dict(from_seen=5, to_seen=5, matched=5, by_nearest=5, by_seq=0, shared_to=2, unmatched_from=0,
                 unmatched_to=2, negative=0)
    statC = dict(count=5, min=50, max=400, mean=1100 / 5, median=250)
    for mode in ([], ["--streaming"]):
        expect(f"C{mode}", stats(prog, [f"{w}/c-hv.csv", f"{w}/c-guest.csv"], "--latency", "hv_entry:guest_irq",
                                 *W, *mode), wantC, statC)

    # E. streaming seq horizon (1 s at 1 MHz = 10^6 cycles): send 1 at 100 is
    # forgotten when send 2 comes at 2,000,000; its receive at 2,000,100 is
    # then unmatched; send 2 -> 2,000,200 matches (200).  In memory nothing is
    # forgotten: both match.
    write(f"{w}/e.csv", ["sender,send,0,100,,,1,,,", "sender,send,0,2000000,,,2,,,",
                         "receiver,rx_user,1,2000100,,,1,,,", "receiver,rx_user,1,2000200,,,2,,,"])
    expect("E streaming", stats(prog, [f"{w}/e.csv"], "--latency", "send:rx_user", "--streaming",
                                "--tsc-hz", "1000000", "--seq-horizon-s", "1"),
           dict(matched=1, unmatched_from=1, unmatched_to=1), dict(count=1, min=200, max=200))
    expect("E memory", stats(prog, [f"{w}/e.csv"], "--latency", "send:rx_user", "--tsc-hz", "1000000"),
           dict(matched=2, unmatched_from=0, unmatched_to=0), dict(count=2, min=200, max=2000000))

    # F. periods per CPU: cpu0 at 0,1000,2000,3000 (1000 x3), cpu1 at 500,1600,2700 (1100 x2): mean 5200/5
    write(f"{w}/f.csv", [f"guest,timer,{c},{t},0,,,,," for t, c in
                         [(0, 0), (500, 1), (1000, 0), (1600, 1), (2000, 0), (2700, 1), (3000, 0)]])
    expect("F", stats(prog, [f"{w}/f.csv"], "--period", "timer"), dict(from_seen=7, matched=5),
           dict(count=5, min=1000, max=1100, mean=5200 / 5))

    # G. stalls: a monitor stall [5000, 5100] overlaps sample [4990, 5020];
    # [5200, 5300] is clear; [6000, 6050] has the stalled flag: 2 stalled.
    write(f"{w}/g.csv", ["sender,send,0,4990,,,1,,,", "monitor,stall,0,5000,,,,,100,",
                         "receiver,rx_kernel,1,5020,,,1,,,", "sender,send,0,5200,,,2,,,",
                         "receiver,rx_kernel,1,5300,,,2,,,", "sender,send,0,6000,,,3,,,",
                         "receiver,rx_kernel,1,6050,,,3,,,stalled", "receiver,lost,1,7000,,,,,5,"])
    v = stats(prog, [f"{w}/g.csv"], "--latency", "send:rx_kernel")
    expect("G", v, dict(matched=3, stalled=2), dict(count=3, min=30, max=100))
    ok(v is not None and v["stall_windows"] == 1 and v["records_lost_at_source"] == 5,
       "stall windows / lost records not counted")
    # the statistics outside stalled windows: only the clear sample 100
    ok(v is not None and v["measures"][0]["outside_stalls"]["count"] == 1 and
       v["measures"][0]["outside_stalls"]["cycles"]["max"] == 100, "outside_stalls wrong")

    # H. irq numbers differ between FROM (Xen IRQ) and TO (guest IRQ):
    #  1000 e40 -> 1300 g24 (300); 2000 e41 -> 2200 g25 (200)
    write(f"{w}/h.csv", ["hv,hv_entry,0,1000,40,,,,,", "guest,guest_irq,1,1300,24,,,,,",
                         "hv,hv_entry,0,2000,41,,,,,", "guest,guest_irq,1,2200,25,,,,,"])
    L = ["--latency", "hv_entry:guest_irq", *W]
    expect("H same", stats(prog, [f"{w}/h.csv"], *L), dict(matched=0, unmatched_from=2, unmatched_to=2), {})
    expect("H any", stats(prog, [f"{w}/h.csv"], *L, "--join-irq", "any"),
           dict(matched=2, unmatched_from=0, unmatched_to=0), dict(min=200, max=300))
    v = stats(prog, [f"{w}/h.csv"], *L, "--join-irq-map", "40:24")
    expect("H map", v, dict(matched=1, unmatched_from=1, unmatched_to=1), dict(min=300, max=300))
    ok(v is not None and v["join_irq"] == "irq pairs 40:24", "irq map not described")
    r = subprocess.run([prog, "stats", *L, "--join-irq-map", "40-24", f"{w}/h.csv"], capture_output=True, text=True)
    ok(r.returncode == 2 and "join_irq_map" in r.stderr, "bad irq map accepted")

    # S. spans: tsc - aux of each record, no join.  hv_deliver 1000 (aux 900)
    # and 3000 (aux 2500); one without aux; one whose aux is after its tsc
    # (excluded, counted); a stalled one (flag); other events ignored.
    write(f"{w}/s.csv", ["hv,hv_entry,0,900,40,,,,,", "hv,hv_deliver,0,1000,40,,,0,900,",
                         "hv,hv_deliver,1,3000,41,,,1,2500,", "hv,hv_deliver,0,3100,40,,,0,,",
                         "hv,hv_deliver,0,3200,40,,,0,3300,", "hv,hv_deliver,1,4000,40,,,0,3990,stalled",
                         "guest,guest_irq_exit,0,5000,24,,,,4000,"])
    v = stats(prog, [f"{w}/s.csv"], "--span", "hv_deliver")
    expect("S", v, dict(from_seen=5, matched=3, unmatched_from=1, negative=1, stalled=1),
           dict(count=3, min=10, max=500, mean=(100 + 500 + 10) / 3))
    ok(v is not None and v["measures"][0]["kind"] == "span" and v["measures"][0]["name"] == "span.0",
       "span kind/name")
    expect("S exit", stats(prog, [f"{w}/s.csv"], "--span", "guest_irq_exit", "--span", "hv_deliver"),
           dict(from_seen=1, matched=1), dict(count=1, min=1000, max=1000))
    r = subprocess.run([prog, "stats", "--span", "hv_entry:hv_deliver", f"{w}/s.csv"], capture_output=True,
                       text=True)
    ok(r.returncode == 2 and "unknown event" in r.stderr, "span of a pair accepted")

    sys.exit(finish())


if __name__ == "__main__":
    main()
