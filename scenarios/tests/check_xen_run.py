#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of a qemu-xen run folder against the papers' experiment (issue 9's
"Done when"), from the run's own files:

  check_xen_run.py RUN_DIR [--min-joined 0.9] [--variants a,b] [--failed v,...]

Per variant that ran: status ok; at least --min-joined of the probes sent
joined hv_entry -> guest_irq (summary.json, latency.0 by seq); hypervisor
records with the natsume flag exactly when the variant's natsume is vector or
all; every notification of the lightweight handler (flag direct) goes to the
evaluation domain, and there are some in vector/all; in off/cpu the evaluation
NIC's line is bound to dom0 and the evaluation domain in Xen's own IRQ dump
(xen-irqs-before.txt) and the guest's IRQ is an INTx (not MSI-X) one; in
vector/all Xen's log says the device's MSI-X moved to the dedicated vector on
the evaluation pCPU and the fast path belongs to the evaluation domain; the
measured load on the load NIC is in the meta; the busy loop ran where asked;
boot-to-ready and teardown are recorded.  Run level: every figure rendered
(bars and one histogram per variant of each latency measure, PNG and PDF),
the report says the times are emulated on every table and names the load
NIC's owner, the comparison is there.  --failed names variants expected to
have failed (status failed, their logs kept)."""
import argparse
import csv
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check, finish  # noqa: E402
from ntcheck import kv as kv_file  # noqa: E402


def kv(path):
    return kv_file(path, missing_ok=True)


def hv_records(path):
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["event"] in ("hv_entry", "hv_deliver")]


def check_variant(run, v, summ, min_joined):
    d = os.path.join(run, v)
    m = kv(os.path.join(d, "meta.txt"))
    nat = m.get("natsume", "?")
    check(m.get("status") == "ok", f"{v}: status ok ({m.get('status')}; {m.get('failed', '')})")
    sv = next((x for x in summ["variants"] if x["name"] == v), None)
    if not check(sv is not None, f"{v}: in summary.json"):
        return
    lat0 = next(x for x in sv["measures"] if x["name"] == "latency.0")
    sent = int(m.get("probes_sent") or 0)
    joined = lat0["join"]["by_seq"]
    check(sent > 0 and joined >= min_joined * sent,
          f"{v}: {joined} of {sent} probes joined hv_entry -> guest_irq "
          f"({100.0 * joined / sent if sent else 0:.1f} %, want >= {100 * min_joined:.0f} %)")
    hv = hv_records(os.path.join(d, "hv.csv"))
    dom = m.get("eval_dom", "")
    nflag = sum(1 for r in hv if "natsume" in r["flags"])
    direct = [r for r in hv if "direct" in r["flags"] and r["event"] == "hv_deliver"]
    if nat in ("vector", "all"):
        check(nflag > 0, f"{v}: {nflag} hypervisor records with the natsume flag")
        check(len(direct) > 0 and all(r["dom"] == dom for r in direct),
              f"{v}: every lightweight-handler notification ({len(direct)}) goes to the evaluation domain d{dom}")
        log = open(os.path.join(d, "xl-dmesg-after.txt"), errors="replace").read()
        cpu = m.get("eval_cpu", "1")
        check(re.search(rf"natsume: IRQ\d+ of 0000:00:03\.0: vector 0x[0-9a-f]+ on pCPU{cpu}", log) is not None,
              f"{v}: Xen moved the evaluation NIC's MSI-X to the dedicated vector on pCPU{cpu} (xl dmesg)")
        check(re.search(rf"natsume: IRQ\d+ owned by d{dom}\b", log) is not None,
              f"{v}: the fast path belongs to the evaluation domain d{dom} (xl dmesg)")
    else:
        check(nflag == 0, f"{v}: no hypervisor record with the natsume flag ({nflag})")
        line = m.get("eval_xen_line", "")
        check(m.get("eval_line_shared", "").startswith("yes") and re.search(r"d0: *\d+\(", line)
              and re.search(rf"d{dom}: *\d+\(", line),
              f"{v}: Xen's own dump shows the evaluation NIC's line shared by d0 and d{dom}: {line.strip()}")
        gi = m.get("guest_irq", "")
        check("intx" in gi, f"{v}: the guest stamps an INTx interrupt ({gi})")
    check(m.get("load_received_pps", "") != "" and m.get("load_irqs_per_s", "") != "",
          f"{v}: the load NIC's received rate was measured in dom0 ({m.get('load_received_pps')} packets/s, "
          f"{m.get('load_irqs_per_s')} interrupts/s; host sent {m.get('load_sent', '?')})")
    if m.get("busy_loop") == "1":
        b = open(os.path.join(d, "busyloop.txt"), errors="replace").read()
        check("SCHED_IDLE" in b, f"{v}: the busy loop ran at SCHED_IDLE in the guest")
    for k in ("boot_to_ready_s", "teardown_s"):
        check(m.get(k, "") != "", f"{v}: {k} = {m.get(k)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--min-joined", type=float, default=0.9)
    ap.add_argument("--variants", default="")
    ap.add_argument("--failed", default="")
    a = ap.parse_args()
    run = a.run
    rm = kv(os.path.join(run, "meta.txt"))
    variants = a.variants.split(",") if a.variants else rm.get("variants", "").split()
    failed = set(x for x in a.failed.split(",") if x)
    summ = json.load(open(os.path.join(run, "summary.json")))
    for v in variants:
        if v in failed:
            m = kv(os.path.join(run, v, "meta.txt"))
            check(m.get("status") == "failed" and m.get("failed", "") != "",
                  f"{v}: failed as expected ({m.get('failed')})")
            check(os.path.exists(os.path.join(run, v, "serial.log")), f"{v}: its logs are kept (serial.log)")
            continue
        check_variant(run, v, summ, a.min_joined)
    report = open(os.path.join(run, "report.md")).read()
    check("Emulated testbed" in report, "report: says the times are emulated")
    tables = report.count("In microseconds (TSC @")
    check(tables > 0 and tables == report.count("emulated, QEMU TCG time"),
          f"report: every table in us is labelled emulated ({tables})")
    check("load NIC owned by" in report, "report: names the load NIC's owner")
    check("Per-packet attribution" in report, "report: the per-packet attribution")
    ran = [v for v in variants if v not in failed]
    if len(ran) > 1:
        check("### Comparison" in report, "report: the comparison with the baseline")
    plots = os.path.join(run, "plots")
    for m in ("latency0", "latency1", "latency2"):
        want = [f"{m}-bars"] + [f"{m}-hist-{v}" for v in ran]
        for w in want:
            ok = all(os.path.exists(os.path.join(plots, w + ext)) and os.path.getsize(os.path.join(plots, w + ext)) > 0
                     for ext in (".png", ".pdf"))
            check(ok, f"figure {w} rendered (PNG, PDF)")
    gp = open(os.path.join(plots, "latency0-bars.gp")).read()
    check("emulated" in gp, "figures: the title says emulated")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
