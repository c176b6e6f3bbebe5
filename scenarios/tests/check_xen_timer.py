#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Checks of a qemu-xen timer run folder (issue 12's "Done when"), from the
run's own files:

  check_xen_timer.py RUN_DIR [--min-periods 0.95]

Per variant: status ok; the guest recorded at least --min-periods of the
expected periods (periods_recorded / periods_expected, the rule of
docs/scenarios.md "Expected periods": the window is the guest's first to last
timer stamp on Xen's TSC) and the analyzer counted those periods.  natsume =
pit: Xen's log says it handed PIT channel 0 over (1193 ticks = 999847 ns for
1 ms) on the evaluation pCPU; Xen's IRQ 0 records carry the natsume flag and
every delivery goes to the real-time guest (hv.csv); the module bound the
VIRQ and counted its ticks.  natsume = off: no PIT handed over, no IRQ 0
delivered to any guest, the guest's hrtimer ran; booted with the tests'
bad natsume-pit= (fault bad-pit-option), Xen warned and booted normally.  Both: no clock warning in
xl dmesg, dom0 on the xen clocksource without a new clock warning, and dom0's
clock advanced with the host's over the measurement.  Run level: the period
figures rendered per variant (PNG and PDF), titled emulated; the report says
the times are emulated and has the comparison."""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests"))
from ntcheck import check, finish  # noqa: E402
from ntcheck import kv as kv_file  # noqa: E402


def kv(path):
    return kv_file(path, missing_ok=True)


def num(m, k, default=-1.0):
    try:
        return float(m.get(k, ""))
    except ValueError:
        return default


def check_clock(v, m):
    check(num(m, "xen_clock_warnings") == 0, f"{v}: no clock warning in xl dmesg ({m.get('xen_clock_warnings')})")
    check(m.get("dom0_clocksource") == "xen", f"{v}: dom0's clocksource is xen ({m.get('dom0_clocksource')})")
    check(num(m, "dom0_clock_warnings_new") == 0,
          f"{v}: no new clock warning in dom0's log ({m.get('dom0_clock_warnings_new')})")
    hmin, hmax = (m.get("host_clock_advanced_s", "-1..-1") + "..").split("..")[:2]
    d = num(m, "dom0_clock_advanced_s")
    try:
        lo, hi = float(hmin), float(hmax)
    except ValueError:
        lo, hi = -1.0, -1.0
    if "instruction-counted" in m.get("emulated", ""):
        check_clock_icount(v, m, d)
        return
    # the host's marks bracket dom0's readings; 2 % and 0.5 s for TCG's clock
    check(lo > 0 and 0.98 * lo - 0.5 <= d <= 1.02 * hi + 0.5,
          f"{v}: dom0's clock advanced {d:.2f} s while the host's advanced {lo:.2f}..{hi:.2f} s")


def check_clock_icount(v, m, d):
    """With instruction-counted time (QEMU -icount) the machine's clocks do
    not follow the host's, so the host's marks are no reference.  QEMU's
    icount TSC counts the machine's virtual nanoseconds (1 GHz) and its HPET,
    which Xen calibrates against, the same clock: Xen's TSC rate must be
    1000 MHz (1 %).  dom0's clock (Xen's system time) against Xen's TSC, by
    containment (2 % and 0.5 s): dom0's sleep (the measurement's wait) lies
    inside the guest's timer window, so it advanced at least the wait and at
    most the window; dom0's two readings lie outside the window, so between
    them its clock advanced at least the window."""
    mhz = num(m, "xen_cpu_mhz")
    check(abs(mhz - 1000.0) <= 10.0, f"{v}: Xen's TSC runs at the machine's 1000 MHz icount clock ({mhz} MHz)")
    win, want, slept = num(m, "timer_window_s"), num(m, "measure_window_s"), num(m, "dom0_sleep_advanced_s")
    check(want > 0 and want <= slept <= 1.02 * win + 0.5,
          f"{v}: dom0's clock advanced {slept:.2f} s over its sleep: at least the wait ({want:.0f} s) and at most "
          f"the guest's window on Xen's TSC ({win:.2f} s)")
    check(win > 0 and d >= 0.98 * win - 0.5,
          f"{v}: dom0's clock advanced {d:.2f} s between its readings: at least the guest's window on Xen's TSC "
          f"({win:.2f} s), which they bracket")


def check_variant(run, v, summ, min_periods):
    d = os.path.join(run, v)
    m = kv(os.path.join(d, "meta.txt"))
    nat = m.get("natsume", "?")
    check(m.get("status") == "ok", f"{v}: status ok ({m.get('status')}; {m.get('failed', '')})")
    rec, exp = num(m, "periods_recorded"), num(m, "periods_expected")
    check(exp > 0 and rec >= min_periods * exp,
          f"{v}: {rec:.0f} of {exp:.0f} expected periods recorded ({m.get('periods_recorded_pct')} %, "
          f"want >= {100 * min_periods:.0f} %; {m.get('periods_missed')} ticks missed, {m.get('periods_long')} periods "
          f">= 1.5 nominal, {m.get('periods_short')} < 0.5, longest {m.get('period_longest_ms')} ms)")
    sv = next((x for x in summ["variants"] if x["name"] == v), None)
    if check(sv is not None, f"{v}: in summary.json"):
        p0 = next((x for x in sv["measures"] if x["name"] == "period.0"), None)
        n = p0["count"] if p0 else -1
        check(p0 is not None and n == rec, f"{v}: the analyzer counted the same {n} periods")
    dom = m.get("eval_dom", "")
    if nat == "pit":
        us = int(m.get("timer_period_ns", "0")) // 1000
        ticks = round(us * 1193182 / 1e6)
        ns = int(ticks * 1e9 / 1193182)
        log = m.get("natsume_pit_log", "")
        cpu = m.get("eval_cpu", "1")
        check(re.search(rf"PIT channel 0 every {ticks} ticks \({ns} ns\), IRQ0 on pCPU{cpu} vector 0x[0-9a-f]+ "
                        rf"-> VIRQ 17", log) is not None, f"{v}: Xen handed the PIT over: {log}")
        check(num(m, "virq_ticks") > 0, f"{v}: the guest module counted {m.get('virq_ticks')} VIRQ ticks")
        nd = num(m, "hv_irq0_deliveries")
        check(nd > 0 and num(m, "hv_irq0_deliveries_to_other") == 0,
              f"{v}: every one of Xen's {nd:.0f} IRQ 0 deliveries goes to the real-time guest d{dom} "
              f"({m.get('hv_irq0_deliveries_to_other')} elsewhere)")
        check(num(m, "hv_irq0_without_natsume_flag") == 0,
              f"{v}: every IRQ 0 record carries the natsume flag ({m.get('hv_irq0_without_natsume_flag')} without)")
    else:
        log = m.get("natsume_pit_log", "")
        check("PIT channel 0" not in log, f"{v}: the PIT stays Xen's ({log})")
        if m.get("fault", "").startswith("bad-pit-option"):
            check("PIT not handed over (the pCPU is not online), option ignored" in log,
                  f"{v}: Xen warned about natsume-pit=1000,cpu=7 and booted normally ({log})")
        check(num(m, "hv_irq0_deliveries", 0) == 0, f"{v}: no IRQ 0 delivered to a guest")
        check(num(m, "hr_ticks") > 0, f"{v}: the guest's hrtimer ran ({m.get('hr_ticks')} expiries, "
              f"{m.get('hr_overruns')} overruns)")
    check_clock(v, m)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run")
    ap.add_argument("--min-periods", type=float, default=0.95)
    a = ap.parse_args()
    rm = kv(os.path.join(a.run, "meta.txt"))
    variants = rm.get("variants", "").split()
    check(len(variants) > 0, f"variants: {variants}")
    sj = os.path.join(a.run, "summary.json")
    if not check(os.path.exists(sj), "summary.json written (the analyzer ran)"):
        return finish()
    summ = json.load(open(sj))
    for v in variants:
        check_variant(a.run, v, summ, a.min_periods)
    report = open(os.path.join(a.run, "report.md")).read()
    check("Emulated testbed" in report, "report: says the times are emulated")
    if any("instruction-counted" in kv(os.path.join(a.run, v, "meta.txt")).get("emulated", "") for v in variants):
        check("counted in executed instructions (QEMU -icount" in report,
              "report: says the times are instruction-counted (icount)")
    tables = report.count("In microseconds (TSC @")
    # "emulated, QEMU TCG time" or, with instruction-counted time,
    # "emulated, QEMU TCG, instruction-counted (icount) time"
    check(tables > 0 and tables == len(re.findall(r"emulated, QEMU TCG(, instruction-counted \(icount\))? time", report)),
          f"report: every table in us is labelled emulated ({tables})")
    if len(variants) > 1:
        check("### Comparison" in report, "report: the comparison with the baseline")
    plots = os.path.join(a.run, "plots")
    for w in [f"period0-hist-{v}" for v in variants]:
        ok = all(os.path.exists(os.path.join(plots, w + e)) and os.path.getsize(os.path.join(plots, w + e)) > 0
                 for e in (".png", ".pdf"))
        check(ok, f"figure {w} rendered (PNG, PDF)")
        gp = os.path.join(plots, w + ".gp")
        check(os.path.exists(gp) and "emulated" in open(gp).read(), f"figure {w}: the title says emulated")
    return finish()


if __name__ == "__main__":
    sys.exit(main())
