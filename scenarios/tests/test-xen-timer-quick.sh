#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1200
# The papers' timer experiment end to end on the emulated Xen testbed:
# `scenarios/run scenarios/xen-timer-quick.scn` (two variants, each on a
# fresh boot: xen = the real-time guest's own 1 ms hrtimer through Xen's
# virtual timer, Xen booted with a natsume-pit= it must refuse with a
# warning (natsume-pit=1000,cpu=7: no such pCPU); natsume = the PIT handed to it through the Natsume handler,
# natsume-pit=1000,cpu=1; 2,000 periods each while the host floods dom0's
# load NIC), then check_xen_timer.py checks issue 12's "Done when" from the
# run folder: >= 95 % of the expected periods per variant, the natsume
# variant's IRQ 0 records flagged natsume and delivered to the real-time guest
# only, Xen's and dom0's clocks fine, the period figures rendered and titled
# emulated; Xen's raw trace (NT_QX_HV_RAW=1) decoded by hv-probe's
# independent trace-check agrees.  Prints each variant's boot-to-ready, measurement and teardown
# times and the run's wall time.  Leaves no QEMU behind.
# Skips (77) without QEMU, kernel headers (not root) or Debian's archive.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
# The scenario runs the machine on instruction-counted time (qemu.icount = 0):
# on the host's time a 2-core host lost 4-7 % of the ticks to the emulation
# itself, below the 95 % checked here.  On icount dom0's own work on pCPU 0
# still costs the real-time pCPU ticks, so the driver keeps dom0 quiet while
# the guest stamps (one sleeping job, the clock read outside the stamping, the
# collector decoding afterwards): 99.6-99.8 % of the periods in both variants
# in the runs so (a quick run, the full-size run, make test's run), 95.5-97.2 %
# before (docs/scenarios.md "What the held-back interrupts depend on").
need_progs nt-flood nt-stallmon nt-hostinfo nt-analyze
res=$(mktemp -d /tmp/nt-xen-timer-quick.XXXXXX)
keep=${NT_KEEP:-}
trap '[ -n "$keep" ] && echo "kept $res" || rm -rf "$res"' EXIT
start=$(date +%s)
cc -std=c11 -O1 -Wall -o "$res/trace-check" "$top/hv-probe/tests/trace-check.c" || { bad "cannot build trace-check"; exit 1; }
NT_QX_HV_RAW=1 NT_QX_FAULT=${NT_QX_FAULT-xen:bad-pit-option} "$run" --bin "$bin" --results "$res" "${NT_TIMER_SCN:-$top/scenarios/xen-timer-quick.scn}" >"$res/run.log" 2>&1
rc=$?
tr '\r' '\n' <"$res/run.log" | grep -v '^\[' | tail -n 20
d=$(ls -d "$res"/*-xen-timer* 2>/dev/null | head -n1)
skip_unfetched $rc "$res/run.log"
[ $rc = 0 ] || bad "runner exit $rc"
[ -n "$d" ] || { bad "no run folder"; exit 1; }
echo "== wall time of the whole run: $(( $(date +%s) - start )) s"
variant_times "$d"
python3 "$top/scenarios/tests/check_xen_timer.py" "$d" || bad "run folder checks"
# Xen's raw trace, decoded independently of the collector: monotonic stamps,
# entry <= notify; in the pit variant the NATSUME flag and every fast-handler
# notification (IRQ 0's included) to the real-time guest
for v in $(meta_get "$d/meta.txt" variants); do
	m=$d/$v/meta.txt
	if [ "$(meta_get "$m" natsume)" = pit ]; then
		tc=(--natsume on --fast --fast-dom "$(meta_get "$m" eval_dom)" --min "$(( $(meta_get "$m" periods_recorded | grep -x '[0-9]*' || echo 2) / 2 ))")
	else
		tc=(--natsume off --min 1)
	fi
	echo "== $v: trace-check ${tc[*]}"
	"$res/trace-check" "${tc[@]}" "$d/$v/hv.xt" || bad "$v: trace-check"
done
no_qemu_left "$res"
[ $fail = 0 ] && echo "PASS"
exit $fail
