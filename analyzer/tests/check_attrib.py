#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-packet attribution (join=packet) against an independent oracle.

  check_attrib.py gen DIR [--seed N] [--no-dom] [--msix]   write a variant folder
  check_attrib.py check DIR                                compare nt-analyze's output

gen writes a Xen-like variant: a shared line (Xen IRQ 23 bound to d0 and d1,
every interrupt notifies d0 then d1) or an MSI-X vector (--msix: Xen IRQ 25,
d1 only), interrupts of other IRQs (dom0's), the guest's interrupts (guest IRQ
8) with the seq of the probe they delivered, coalesced notifications (two
interrupts before the guest handles the first), guest interrupts with no
notification, probes that ride an earlier probe's interrupt, records of two
files out of time order (per-CPU windows).  It also writes the truth: every
probe's expected hv_entry:guest_irq, hv_entry:hv_deliver and
hv_deliver:guest_irq samples and the expected counts (truth.json).
check reads summary.json and compares every statistic and count exactly."""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
import ntcheck  # noqa: E402

HDR = "source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"


def gen(d, seed, no_dom, msix):
    rng = random.Random(seed)
    os.makedirs(d, exist_ok=True)
    hv, guest = [], []
    t = 10_000_000
    xirq = 25 if msix else 23
    truth = {"lat0": [], "lat1": [], "lat2": [], "coalesced": 0, "no_notification": 0, "rode": 0,
             "probes": 0, "attributed": 0, "guest_irqs": 0, "guest_irqs_seq": 0, "deliveries": 0,
             "other": 0, "packets_coalesced": 0, "xirq": 25 if msix else 23}
    seq = 0
    pending = []  # notifications of d1 since the last guest interrupt: (entry, deliver)
    for i in range(600):
        t += rng.randrange(20_000, 400_000)
        kind = rng.random()
        if kind < 0.15:
            # dom0's own interrupt on another IRQ: entry + deliver to d0
            e = t
            hv.append(("hv", "hv_entry", 0, e, 30, 0x41, "", "", "", ""))
            hv.append(("hv", "hv_deliver", 0, e + 3000, 30, 0x41, "", 0, e, ""))
            truth["other"] += 1
            continue
        # an interrupt of the evaluation line
        e = t
        hv.append(("hv", "hv_entry", 1, e, xirq, 0xb8, "", "", "", "natsume" if msix else ""))
        dt = e + rng.randrange(2000, 9000)
        if not msix:
            hv.append(("hv", "hv_deliver", 1, dt, xirq, 0xb8, "", 0, e, ""))
            truth["other"] += 1
            dt += rng.randrange(1000, 5000)
        hv.append(("hv", "hv_deliver", 1, dt, xirq, 0xb8, "", 1, e, "natsume|direct" if msix else ""))
        truth["deliveries"] += 1
        pending.append((e, dt))
        # the guest handles it now, or later (coalescing the next interrupt into it)
        if rng.random() < 0.2 and i < 590:
            continue
        g = dt + rng.randrange(5000, 60000)
        t = g
        probe = rng.random() < 0.5
        s = ""
        if probe:
            s = seq
            truth["probes"] += 1
            truth["attributed"] += 1
            pe, pd = pending[0]
            truth["lat0"].append(g - pe)
            truth["lat1"].append(pd - pe)
            truth["lat2"].append(g - pd)
            if len(pending) > 1:
                truth["packets_coalesced"] += 1
        truth["coalesced"] += len(pending) - 1
        pending = []
        guest.append(("guest", "guest_irq", 0, g, 8, "", s, "", "", ""))
        truth["guest_irqs"] += 1
        if probe:
            truth["guest_irqs_seq"] += 1
            guest.append(("guest", "guest_pkt", 0, g + 700, 8, "", seq, "", g, ""))
            seq += 1
            if rng.random() < 0.1:  # a second probe on the same interrupt
                guest.append(("guest", "guest_pkt", 0, g + 900, 8, "", seq, "", g, ""))
                truth["rode"] += 1
                truth["probes"] += 1
                seq += 1
        # now and then a guest interrupt with no notification before it
        if rng.random() < 0.05:
            t += 3000
            guest.append(("guest", "guest_irq", 0, t, 8, "", "", "", "", ""))
            truth["no_notification"] += 1
            truth["guest_irqs"] += 1
    truth["after_last"] = len(pending)
    # the hypervisor trace covers [first hv record, last hv record]: one more
    # of dom0's interrupts closes it; guest stamps before and after it (the
    # guest probe runs longer than the collector) are outside, not attributed
    t += 50_000
    hv.append(("hv", "hv_entry", 0, t, 30, 0x41, "", "", "", ""))
    hv.append(("hv", "hv_deliver", 0, t + 3000, 30, 0x41, "", 0, t, ""))
    truth["other"] += 1
    guest.append(("guest", "guest_irq", 0, 5_000_000, 8, "", "", "", "", ""))
    guest.append(("guest", "guest_irq", 0, t + 90_000, 8, "", seq, "", "", ""))
    guest.append(("guest", "guest_pkt", 0, t + 90_500, 8, "", seq, "", t + 90_000, ""))
    truth["outside"] = 2
    truth["probes_outside"] = 1

    def write(path, rows, shuffle_windows=False):
        rows = sorted(rows, key=lambda r: r[3])
        if shuffle_windows:  # per-CPU windows, as xentrace writes: not in time order
            rows = [r for r in rows if r[2] == 1] + [r for r in rows if r[2] == 0]
        with open(path, "w") as f:
            f.write(HDR + "\n")
            for r in rows:
                f.write(",".join(str(x) for x in r) + "\n")
    write(os.path.join(d, "hv.csv"), hv, shuffle_windows=True)
    write(os.path.join(d, "guest.csv"), guest)
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("variant=v\nlatency.0=hv_entry:guest_irq\nlatency.1=hv_entry:hv_deliver\n"
                "latency.2=hv_deliver:guest_irq\njoin=packet\ntsc_hz=2000000000\n"
                f"probes_sent={truth['probes']}\n")
        if not no_dom:
            f.write("eval_dom=1\n")
    with open(os.path.join(d, "truth.json"), "w") as f:
        json.dump(truth, f)


def check(d):
    truth = json.load(open(os.path.join(d, "truth.json")))
    s = json.load(open(os.path.join(os.path.dirname(d.rstrip("/")), "summary.json")))
    v = s["variants"][0]
    a = v["attribution"]

    def eq(what, got, want):
        ntcheck.check(got == want, f"{what}: {got}" + ("" if got == want else f" (want {want})"))
    eq("evaluation domain", a["eval_dom"], 1)
    eq("mapping Xen IRQ -> guest IRQ", [(m["xen_irq"], m["guest_irq"]) for m in a["map"]], [(truth["xirq"], 8)])
    eq("notifications of d1", a["notifications"], truth["deliveries"])
    eq("other notifications", a["other_notifications"], truth["other"])
    eq("guest interrupts", a["guest_interrupts"], truth["guest_irqs"])
    eq("guest interrupts with a probe", a["guest_interrupts_with_probe"], truth["guest_irqs_seq"])
    eq("coalesced notifications", a["coalesced"], truth["coalesced"])
    eq("guest interrupts with no notification", a["no_notification"], truth["no_notification"])
    eq("notifications after the last guest interrupt", a["after_last_interrupt"], truth["after_last"])
    eq("probes that rode an earlier probe's interrupt", a["probes_rode"], truth["rode"])
    eq("probes attributed", a["probes_attributed"], truth["attributed"])
    eq("guest interrupts outside the hypervisor trace", a["guest_interrupts_outside_trace"], truth["outside"])
    eq("probes outside the hypervisor trace", a["probes_outside_trace"], truth["probes_outside"])
    eq("probes whose interrupt had coalesced notifications", a["probes_coalesced"], truth["packets_coalesced"])
    for m, key in (("latency.0", "lat0"), ("latency.1", "lat1"), ("latency.2", "lat2")):
        me = next(x for x in v["measures"] if x["name"] == m)
        w = sorted(truth[key])
        eq(f"{m}: samples", me["count"], len(w))
        eq(f"{m}: min", me["cycles"]["min"], w[0])
        eq(f"{m}: max", me["cycles"]["max"], w[-1])
        eq(f"{m}: by seq", me["join"]["by_seq"], len(w))
    return ntcheck.finish()


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 1,
            "--no-dom" in sys.argv, "--msix" in sys.argv)
    else:
        sys.exit(check(sys.argv[2]))
