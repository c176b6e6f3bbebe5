#!/usr/bin/env bash
# timeout: 3000
# Integration: the passthrough-cost experiment through the runner on the
# emulated Xen (QEMU TCG), twice.
#  1. scenarios/xen-io-quick.scn: six cells (native / passthrough /
#     paravirtual x no load / UDP flood), 2 repetitions of dd write, dd read
#     and iperf3 each.  Every measured table cell must hold two numbers,
#     every cell its hypervisor and guest stamps (spans of hv_deliver and
#     guest_irq_exit) and its interrupt rates in the domains involved; the
#     loads must have run; nothing may be left running.
#  2. The same machine without the emulated IOMMU and three cells: the
#     passthrough configuration cannot be set up (the devices are not
#     assignable), the run says so and fails, and the cells before and after
#     it (native, paravirtual) are measured and reported.
# A variant that fails is measured once more with --resume and named (before
# testbed/qemu.sh booted Xen with spec-ctrl=eager-fpu, the emulated machine
# crashed programs and damaged records: docs/scenarios.md, "Damaged rows in
# dom0's hv.csv"; kept until runs with the fix show it is not needed); what a
# run could not record is listed per cell.
# Skips (77) without QEMU, without nt-flood's QEMU socket back end, or when
# the Xen source or the guest kernel's source cannot be fetched.
# NT_IO_KEEP=DIR keeps the run folders.
set -uo pipefail
# Opt-in (NT_XEN_IO=1) until it has passed twice on this machine: on
# 2026-12-01 (21:32 UTC, 538 s) every cell was measured for the first time,
# and the test failed on records the run could not take (docs/scenarios.md,
# "The passthrough-cost experiment"); with those fixes and eager-fpu it passed
# once (2026-12-01 23:04 UTC, 408 s): one pass so far.
[ "${NT_XEN_IO:-0}" = 1 ] || { echo "SKIP: opt-in (NT_XEN_IO=1): the passthrough-cost run on the emulated Xen"; exit 77; }
. "$(dirname "$0")/lib.sh"
. "$top/testbed/emu.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "SKIP: qemu-system-x86_64 not installed"; exit 77; }
if ! emu_xen_patched; then
	case "$EMU_WHY" in *fetch*) echo "SKIP: $EMU_WHY"; exit 77 ;; *) echo "FAIL: $EMU_WHY"; exit 1 ;; esac
fi
export NT_XEN_IMAGE=$EMU_XEN
need_progs nt-flood nt-analyze nt-hostinfo nt-hvcollect nt-guest-read
"$bin/nt-flood" --help 2>&1 | grep -q -- '--qemu' ||
	{ echo "SKIP: nt-flood has no QEMU socket back end (--backend qemu) in this version"; exit 77; }
work=$(mktemp -d /tmp/nt-io-test.XXXXXX)
mkdir -p "$work/tmp"
cleanup() {
	[ -n "${NT_IO_KEEP:-}" ] && mkdir -p "$NT_IO_KEEP" && cp -r "$work/res" "$NT_IO_KEEP/" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
leftover() { pgrep -f "$work/tmp" >/dev/null; }
num() { case "$1" in ''|failed) return 1 ;; *) awk -v x="$1" 'BEGIN { exit !(x + 0 > 0) }' ;; esac; }

# lost D: what the run could not record, counted per cell: damaged record
# rows skipped, record files changed on the way out, workloads run again.
lost() {
	local m
	for m in "$1"/*/meta.txt; do
		grep -H -E "^records_(check|copy)\.[^=]*=([0-9]+ damaged|unreadable|CHANGED)|^workload_retries=[1-9]|^config_retry=" "$m"
	done | sed "s|^$1/||; s|/meta.txt:| |; s/^/   lost: /"
}

# ---- 1. the quick scenario: every cell
t0=$SECONDS retried=""
TMPDIR=$work/tmp NT_RUN_BIN=$bin "$run" --results "$work/res" "$top/scenarios/xen-io-quick.scn" >"$work/run1.log" 2>&1
rc=$?
echo "== run 1: exit $rc after $((SECONDS - t0)) s"
grep -E "variant [0-9]+/|configuration|done in|report" "$work/run1.log" | sed 's/^/   /'
d=$(ls -d "$work"/res/*-xen-io-quick 2>/dev/null | head -n1)
if [ $rc != 0 ] && grep -qs "cannot fetch linux-source" "$d/testbed/images.log"; then
	echo "SKIP: $(grep -m1 "cannot fetch linux-source" "$d/testbed/images.log")"
	exit 77
fi
[ $rc != 0 ] && [ -d "$d" ] && retry_failed "$d" "$work/resume1.log" env TMPDIR="$work/tmp" NT_RUN_BIN="$bin" "$run"
echo "== run 1 in all: $((SECONDS - t0)) s${retried:+ (measured twice:$retried)}"
[ $rc = 0 ] || { tail -n 40 "$work/run1.log"; bad "runner exit $rc"; }
[ -d "$d" ] || { bad "no run folder"; exit 1; }
st=$(meta_get "$d/meta.txt" status)
[ "$st" = complete ] || bad "run status $st"
case "$st" in *"testbed setup"*) tail -n 20 "$d/testbed/"*-setup.log 2>/dev/null; echo "FAIL"; exit 1 ;; esac
leftover && bad "processes of the run left: $(pgrep -af "$work/tmp" | head -n 3)"
vs=$(meta_get "$d/meta.txt" variants)
[ "$(echo $vs)" = "native-none native-io pt-none pt-io pv-none pv-io" ] || bad "the run's variants are '$vs'"
for v in $vs; do
	vd=$d/$v m=$d/$v/meta.txt
	[ "$(meta_get "$m" status)" = ok ] || { bad "$v: status $(meta_get "$m" status) $(meta_get "$m" failure)"; continue; }
	for r in dd_write dd_read iperf3; do
		for k in 1 2; do
			num "$(meta_get "$m" "result.$r.$k")" || bad "$v: result.$r.$k = '$(meta_get "$m" "result.$r.$k")'"
		done
	done
	case $v in native-*) doms=dom0 ;; pt-*) doms=domu ;; pv-*) doms="dom0 domu" ;; esac
	for dom in $doms; do
		num "$(meta_get "$m" "result.irqs_dd_write_$dom.1")" || bad "$v: no interrupt rate of the dd write in $dom"
		[ -s "$vd/guest-$dom.csv" ] && grep -q ',guest_irq_exit,' "$vd/guest-$dom.csv" ||
			bad "$v: no guest_irq_exit stamps from $dom"
	done
	grep -q '^hv,hv_deliver,' "$vd/hv.csv" 2>/dev/null || bad "$v: no hv_deliver records of the measured devices"
	[ -n "$(meta_get "$m" hv_device_irqs)" ] || bad "$v: the devices' Xen IRQs are unknown"
	case $v in
	*-cpu) grep -q "stress-ng" "$vd/raw/load.txt" 2>/dev/null || bad "$v: stress-ng did not run" ;;
	*-io) [ "$(meta_get "$vd/flood.meta" sent)" -gt 0 ] 2>/dev/null || bad "$v: the flood sent nothing" ;;
	esac
done
rep=$d/report.md
[ -s "$rep" ] || bad "no report.md"
for t in dd_write dd_read iperf3; do
	grep -q "^### $t (" "$rep" || bad "report: no table for $t"
	# the table's three rows: every cell measured a mean, an interval and n=2
	n=$(awk -v t="### $t (" 'index($0, t) == 1 { on = 1; next } on && /^### / { on = 0 }
		on && /^\| (native|passthrough|paravirtual) \|/ { n += gsub(/\(n=2\)/, "") } END { print n + 0 }' "$rep")
	[ "$n" = 6 ] || bad "report: the $t table has $n of 6 cells with n=2"
done
grep -q "^## span.0: span (tsc - aux) of \`hv_deliver\`, emulated" "$rep" || bad "report: no labelled span.0 section"
grep -q "^## span.1: span (tsc - aux) of \`guest_irq_exit\`, emulated" "$rep" || bad "report: no labelled span.1 section"
[ -s "$d/results.csv" ] || bad "no results.csv"
ls "$d/plots/"span0-hist-*.png >/dev/null 2>&1 || bad "no span histograms"
echo "== what run 1 could not record (none listed: nothing):"
lost "$d"

# ---- 2. without the IOMMU: passthrough cannot be set up, the rest is measured
cat >"$work/noiommu.scn" <<'EOF'
[scenario]
name       = xen-io-noiommu
testbed    = qemu-xen
experiment = io
[io]
io.reps    = 1
dd.size    = 4 MiB
iperf.time = 1 s
io.load    = none
[xen]
natsume = off
[probes]
sources = hv, guest
[measure]
span.0 = hv_deliver
[variant native-none]
io.config = native
[variant pt-none]
io.config = passthrough
[variant pv-none]
io.config = paravirtual
EOF
t0=$SECONDS
TMPDIR=$work/tmp NT_IO_NO_IOMMU=1 NT_RUN_BIN=$bin "$run" --results "$work/res" "$work/noiommu.scn" >"$work/run2.log" 2>&1
rc=$?
echo "== run 2 (no IOMMU): exit $rc after $((SECONDS - t0)) s"
grep -E "variant [0-9]+/|configuration|neighbour|done in" "$work/run2.log" | sed 's/^/   /'
[ $rc = 1 ] || bad "run 2: exit $rc, want 1 (a variant failed)"
d=$(ls -d "$work"/res/*-xen-io-noiommu 2>/dev/null | head -n1)
[ -d "$d" ] || { bad "run 2: no run folder"; exit 1; }
# pt-none fails by design; native-none or pv-none failing is the emulated
# machine's: measured once more (pt-none fails again, as it must)
if [ "$(meta_get "$d/native-none/meta.txt" status)" != ok ] || [ "$(meta_get "$d/pv-none/meta.txt" status)" != ok ]; then
	retry_failed "$d" "$work/resume2.log" env TMPDIR="$work/tmp" NT_IO_NO_IOMMU=1 NT_RUN_BIN="$bin" "$run"
	[ $rc = 1 ] || bad "run 2 resumed: exit $rc, want 1 (pt-none fails)"
fi
grep -q "configuration passthrough could not be set up: ." "$work/run2.log" ||
	bad "run 2: the runner does not say why passthrough failed"
grep -q "^failure=configuration passthrough could not be set up: ." "$d/pt-none/meta.txt" ||
	bad "run 2: pt-none's meta.txt does not record the failure"
for v in native-none pv-none; do
	[ "$(meta_get "$d/$v/meta.txt" status)" = ok ] || bad "run 2: $v not measured ($(meta_get "$d/$v/meta.txt" status))"
	num "$(meta_get "$d/$v/meta.txt" result.dd_write.1)" || bad "run 2: $v has no dd result"
done
grep -q "| passthrough | no value (variant failed" "$d/report.md" ||
	bad "run 2: the report does not show the failed passthrough cell"
grep -q "| native | [0-9]" "$d/report.md" && grep -q "| paravirtual | [0-9]" "$d/report.md" ||
	bad "run 2: the report lacks the measured cells"
leftover && bad "processes of run 2 left: $(pgrep -af "$work/tmp" | head -n 3)"
echo "== wall time of the test: $SECONDS s${retried:+ (variants measured twice:$retried)}"
[ $fail = 0 ] && echo "PASS" || echo "FAIL"
exit $fail
