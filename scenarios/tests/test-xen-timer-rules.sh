#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The timer experiment's rules on qemu-xen without a machine: the expected
# periods rule (qxt_periods, docs/scenarios.md "Expected periods") on
# synthetic timer stamps with known missed ticks, bursts and unsorted rows;
# the Xen argument and the module arguments per variant; the clock evidence
# and Xen's clock-warning filter on sample logs; the runner's refusals of a
# timer scenario the driver cannot run.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/nt-xen-timer-rules.XXXXXX)
trap 'rm -rf "$work"' EXIT
# the functions only (the driver's globals they use are set here)
declare -A S=([experiment]=timer)
PROG=test here=$top/scenarios
. "$top/scenarios/testbeds/qemu-xen-timer.sh"
scn() { case "$1" in timer.period) echo "${T_PERIOD:-1000000}" ;; timer.count) echo 5000 ;; natsume) echo "$T_NAT" ;; esac; }
qx_fault_kind() { echo "${T_FAULT:-}"; }
scn_or() { local x; x=$(scn "$1" "${3:-}"); echo "${x:-$2}"; }
expect() { # KEY WANT OUTPUT
	local got
	got=$(sed -n "s/^$1=//p" <<<"$3")
	[ "$got" = "$2" ] && echo "ok    $1=$got" || bad "$1: got '$got', want '$2'"
}

# 1 GHz clock, 1 ms period: 0..9 ms on time, then 2 missed ticks (a 3 ms
# gap), a late tick followed by its catch-up (1.6 ms, 0.4 ms), 20 ms gap
hdr="source,event,cpu,tsc,irq,vector,seq,dom,aux,flags"
{
	echo "$hdr"
	t=0
	for i in $(seq 0 9); do echo "guest,timer,0,$((i * 1000000)),7,,,,1,"; done
	t=9000000
	for d in 3000000 1600000 400000 1000000 20000000 1000000; do
		t=$((t + d)); echo "guest,timer,0,$t,7,,,,1,"
	done
	echo "guest,guest_irq,0,5,30,,,,,"
} >"$work/g.csv"
# the rows out of order: the rule sorts by tsc
{ head -n1 "$work/g.csv"; tail -n +2 "$work/g.csv" | sort -r; } >"$work/g-unsorted.csv"
for f in g.csv g-unsorted.csv; do
	out=$(qxt_periods "$work/$f" 1000000000 1000000)
	expect timer_stamps 16 "$out"
	expect periods_recorded 15 "$out"
	expect periods_expected 36 "$out"     # 9 + 3 + 1.6 + 0.4 + 1 + 20 + 1 = 36 ms
	expect periods_missed 21 "$out"       # 36 - 15
	expect periods_long 3 "$out"          # 3, 1.6 and 20 ms
	expect periods_short 1 "$out"         # 0.4 ms
	expect period_longest_ms 20.000 "$out"
	expect periods_recorded_pct 41.7 "$out"
done
# the PIT's period: 999847 ns (1193 ticks), stamps exactly on it: 100 %
{ echo "$hdr"; for i in $(seq 0 1000); do echo "guest,timer,0,$((i * 999847)),7,,,,1,"; done; } >"$work/pit.csv"
out=$(qxt_periods "$work/pit.csv" 1000000000 999847)
expect periods_expected 1000 "$out"
expect periods_missed 0 "$out"
expect periods_recorded_pct 100.0 "$out"
# fewer than 2 stamps: only the count
out=$(qxt_periods <(echo "$hdr"; echo "guest,timer,0,5,7,,,,1,") 1000000000 1000000)
[ "$out" = "timer_stamps=1" ] && echo "ok    one stamp: $out" || bad "one stamp: $out"

# the Xen option and the module's timer mode per variant
QX_CPU=1 QX_INTERVAL=1000000
T_NAT=pit; [ "$(qxt_xen_args v)" = "natsume-pit=1000,cpu=1" ] && echo "ok    pit: natsume-pit=1000,cpu=1" ||
	bad "pit xen args: $(qxt_xen_args v)"
T_NAT=off; [ -z "$(qxt_xen_args v)" ] && echo "ok    off: no Xen option" || bad "off xen args: $(qxt_xen_args v)"
T_FAULT=bad-pit-option; [ "$(qxt_xen_args v)" = "natsume-pit=1000,cpu=7" ] && echo "ok    off + bad-pit-option" ||
	bad "off + bad-pit-option: $(qxt_xen_args v)"
T_FAULT=
QX_NATSUME=pit; [[ "$(qxt_module_args)" == "timer=virq timer_virq=17 "* ]] && echo "ok    pit: timer=virq" ||
	bad "pit module args: $(qxt_module_args)"
QX_NATSUME=off; [[ "$(qxt_module_args)" == "timer=hrtimer timer_period_us=1000 "* ]] &&
	echo "ok    off: timer=hrtimer 1000 us" || bad "off module args: $(qxt_module_args)"

# Xen's clock warnings: the filter takes these and not the normal boot lines
printf '%s\n' "(XEN) Platform timer is 100.000MHz HPET" "(XEN) natsume: PIT channel 0 every 1193 ticks" \
	"(XEN) Detected 2445.430 MHz processor." >"$work/ok.txt"
printf '%s\n' "(XEN) WARNING: clock went backwards" "(XEN) TSC warp detected" \
	"(XEN) Unable to find usable platform timer" >"$work/bad.txt"
n=$(qxt_xen_clock_warnings "$work/ok.txt" | wc -l); [ "$n" = 0 ] && echo "ok    no warning in a normal log" ||
	bad "$n warnings in a normal log"
n=$(qxt_xen_clock_warnings "$work/bad.txt" | wc -l); [ "$n" = 3 ] && echo "ok    3 warnings found" ||
	bad "$n of 3 warnings found"
# dom0's clock against the host's marks
mkdir -p "$work/v"
printf 'uptime_s=100.00\nclocksource=xen\nclock_warnings=1\nhost_before_s=1000.0\nhost_after_s=1000.5\n' \
	>"$work/v/dom0-clock-before.txt"
printf 'uptime_s=108.10\nclocksource=xen\nclock_warnings=1\nhost_before_s=1008.0\nhost_after_s=1008.4\n' \
	>"$work/v/dom0-clock-after.txt"
out=$(qxt_clock_evidence "$work/v")
expect dom0_clock_advanced_s 8.10 "$out"
expect host_clock_advanced_s 7.50..8.40 "$out"
expect dom0_clock_warnings_new 0 "$out"
expect dom0_clocksource xen "$out"

# the runner refuses what the timer driver cannot run, before starting anything
sed 's/^natsume     = pit/natsume     = vector/' "$top/scenarios/xen-timer-quick.scn" >"$work/bad-nat.scn"
out=$("$run" --check "$work/bad-nat.scn" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "natsume = off .* or pit" <<<"$out" && echo "ok    refuses natsume = vector in a timer run" ||
	bad "natsume = vector accepted (rc $rc): $out"
sed 's/^sources .*/sources = guest, hv, send/' "$top/scenarios/xen-timer-quick.scn" >"$work/bad-src.scn"
out=$("$run" --check "$work/bad-src.scn" 2>&1); rc=$?
[ $rc != 0 ] && grep -q "no 'send' source" <<<"$out" && echo "ok    refuses the send source in a timer run" ||
	bad "sources = send accepted (rc $rc): $out"
[ $fail = 0 ] && echo "PASS"
exit $fail
