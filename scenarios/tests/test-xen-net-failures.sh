#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# timeout: 1800
# The qemu-xen driver's failure paths, each with the real machine (the
# faults are test hooks of scenarios/testbeds/qemu-xen.sh, NT_QX_FAULT):
#   nonic      the evaluation NIC is missing from the machine: the variant
#              fails at dom0's set-up, saying so, with its logs kept;
#   nodomu     the evaluation guest gets an image it cannot boot: it fails
#              when the guest crashes, with the guest's console kept;
#   nocollect  the hypervisor collector is killed during the measurement:
#              the variant fails at the collection, the guest's records kept;
# each time the next variant still runs, and the run says which failed.
# Then Ctrl-C during a measurement: exit 130, run and variant marked
# interrupted, what the machine recorded collected, no QEMU left.
# Skips (77) without QEMU, kernel headers (not root) or Debian's archive.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 77; }
need_progs nt-send nt-flood nt-stallmon nt-hostinfo nt-analyze
res=$(mktemp -d /tmp/nt-xen-fail.XXXXXX)
rpid=
trap '[ -n "$rpid" ] && kill -- -"$rpid" 2>/dev/null; [ -n "${NT_KEEP:-}" ] && echo "kept $res" || rm -rf "$res"' EXIT
scn=$res/fail.scn
sed -e 's/^name *=.*/name = xen-fail/' -e 's/^probe.count *=.*/probe.count = 60/' \
	-e 's/^\[variant xen\]/[variant nonic]/' -e 's/^\[variant natsume-cpu\]/[variant nodomu]/' \
	-e 's/^\[variant natsume-vector\]/[variant nocollect]/' -e 's/^baseline *=.*/baseline = nocollect/' \
	"$top/scenarios/xen-net-quick.scn" | awk '/^\[variant natsume-all\]/ { exit } { print }' >"$scn"
NT_QX_FAULT="nonic:no-eval-nic nodomu:bad-domu-image nocollect:kill-collector" \
	"$run" --bin "$bin" --results "$res" "$scn" >"$res/run.log" 2>&1
rc=$?
tr '\r' '\n' <"$res/run.log" | grep -v '^\[' | tail -n 25
if grep -q "cannot fetch Debian's Xen source\|kernel headers for the guest module" "$res/run.log"; then
	echo "SKIP: $(grep -m1 "cannot fetch\|kernel headers" "$res/run.log")"
	exit 77
fi
d=$(ls -d "$res"/*-xen-fail 2>/dev/null | head -n1)
[ -n "$d" ] || { bad "no run folder"; exit 1; }
[ $rc = 1 ] || bad "runner exit $rc, want 1 (variants failed)"
grep -q "variants that failed: nonic nodomu nocollect" "$res/run.log" || bad "the runner does not name the failed variants"
[ "$(meta_get "$d/meta.txt" status)" = "failed: nonic nodomu nocollect" ] ||
	bad "run status '$(meta_get "$d/meta.txt" status)'"
for v in nonic nodomu nocollect; do
	[ "$(meta_get "$d/$v/meta.txt" status)" = failed ] || bad "$v: status '$(meta_get "$d/$v/meta.txt" status)'"
	[ -s "$d/$v/serial.log" ] || bad "$v: serial log not kept"
done
grep -q "no PCI device 0000:00:03.0\|no NIC with MAC" "$d/nonic/jobs/"*dom0-setup.log ||
	bad "nonic: dom0-setup does not say the device is missing"
grep -q "^failed=dom0-setup failed" "$d/nonic/meta.txt" || bad "nonic: failure not recorded"
grep -q "crashed while booting\|died while booting" "$d/nodomu/jobs/"*domu-start.log ||
	bad "nodomu: domu-start does not say the guest crashed"
[ -s "$d/nodomu/domu-console.txt" ] || bad "nodomu: the guest's console was not kept"
grep -q "^fault=kill-collector" "$d/nocollect/meta.txt" || bad "nocollect: the fault did not happen"
grep -q "hvcollect-stop" "$d/nocollect/meta.txt" || bad "nocollect: the collection failure is not recorded"
[ -s "$d/nocollect/guest.csv" ] || bad "nocollect: the guest's records were not kept"
[ -f "$d/report.md" ] || bad "no report for what was recorded"

# Ctrl-C in the middle of a measurement
scn2=$res/intr.scn
sed -e 's/^name *=.*/name = xen-intr/' -e 's/^probe.count *=.*/probe.count = 3000/' "$top/scenarios/xen-net-quick.scn" >"$scn2"
# Job control: the runner gets its own process group and SIGINT is not
# ignored in it (a background job of a script ignores SIGINT otherwise)
set -m
"$run" --bin "$bin" --results "$res" --variants natsume-vector,natsume-all "$scn2" >"$res/intr.log" 2>&1 &
rpid=$!
set +m
i=0
until grep -q "sending 3000 probes" "$res/intr.log" 2>/dev/null || [ $i -ge 600 ] || ! kill -0 $rpid 2>/dev/null; do
	sleep 1; i=$((i + 1))
done
sleep 5
kill -INT -- -"$rpid" # Ctrl-C: SIGINT to the whole process group
wait $rpid
rc=$?
rpid=
tr '\r' '\n' <"$res/intr.log" | grep -v '^\[' | tail -n 12
d2=$(ls -d "$res"/*-xen-intr 2>/dev/null | head -n1)
[ $rc = 130 ] || bad "Ctrl-C: runner exit $rc, want 130"
[ "$(meta_get "$d2/meta.txt" status)" = interrupted ] || bad "Ctrl-C: run status '$(meta_get "$d2/meta.txt" status)'"
[ "$(meta_get "$d2/natsume-vector/meta.txt" status)" = interrupted ] || bad "Ctrl-C: the variant is not marked interrupted"
[ -s "$d2/natsume-vector/hv.csv" ] && [ -s "$d2/natsume-vector/guest.csv" ] ||
	bad "Ctrl-C: the records of the interrupted variant were not collected"
[ ! -d "$d2/natsume-all" ] || bad "Ctrl-C: the next variant started"
left=$(ps -eo args | grep -F "$res" | grep -v grep | grep -c qemu-system)
[ "$left" = 0 ] || bad "$left QEMU process(es) left running"
[ $fail = 0 ] && echo "PASS"
exit $fail
